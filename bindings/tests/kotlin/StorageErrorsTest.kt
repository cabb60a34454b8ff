// Storage faults as an app sees them: a damaged store is its own typed error naming the
// quarantine folder (the next open starts fresh, and salvage reads the old one back), and a
// damaged side file is set aside and named while the client keeps working.
package gridpatrol.tests

import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException

private val keeper = Reporter(reporterId = "insp-kotlin-store", role = Role.INSPECTOR, gridIds = emptyList())

val storageErrorTests = listOf(
    test("a damaged store is StoreCorrupt with its quarantine folder; the next open starts fresh") {
        val dir = freshDataDir("corrupt")
        GridPatrol.open(dir, testKeys).use { gp -> gp.createDraft(keeper, null) }
        File(dir, "gridpatrol.sqlite3").writeBytes(ByteArray(16384) { 0x5a })
        val corrupt = assertFailsWith<GridPatrolException.StoreCorrupt> { GridPatrol.open(dir, testKeys) }
        val quarantined = assertNotNull(corrupt.quarantined, "the damaged files were moved aside")
        assertTrue(File(quarantined).isDirectory, "the quarantine folder exists")
        GridPatrol.open(dir, testKeys).use { gp ->
            assertEquals(0, gp.drafts().size, "a fresh store")
            // Salvage reads what is readable; a file of junk bytes is no database at all, which
            // it says with the same typed error (nothing more moved).
            val junk = assertFailsWith<GridPatrolException.StoreCorrupt> { gp.salvage(quarantined) }
            assertEquals(null, junk.quarantined)
            // The instance works on: a new capture is possible.
            gp.createDraft(keeper, null)
            assertEquals(1, gp.drafts().size)
        }
    },
    test("a binary grid package is set aside and named, and capture goes on without own-grid checks") {
        val dir = freshDataDir("side-file")
        File(dir).mkdirs()
        File(dir, "grids.geojson").writeBytes(byteArrayOf(0xff.toByte(), 0xfe.toByte(), 0, 1, 2, 3))
        GridPatrol.open(dir, testKeys).use { gp ->
            val damaged = gp.damagedSideFiles()
            assertEquals(listOf("grids.geojson"), damaged.map { it.file })
            val movedTo = assertNotNull(damaged.single().movedTo)
            assertTrue(File(movedTo).isFile, "the damaged file was kept aside, not deleted")
            gp.createDraft(keeper, null)
        }
    },
)
