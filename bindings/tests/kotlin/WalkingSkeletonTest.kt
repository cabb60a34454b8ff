// The library loads on the JVM, computes in Rust, and its errors arrive as Kotlin exceptions.
package gridpatrol.tests

import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException
import uniffi.gridpatrol_ffi.ItemKind
import uniffi.gridpatrol_ffi.libraryVersion

val walkingSkeletonTests = listOf(
    test("library version comes from the Rust crate") {
        val version = libraryVersion()
        assertTrue(Regex("""\d+\.\d+\.\d+.*""").matches(version), "semver, got $version")
        GridPatrol.open(freshDataDir("version"), testKeys).use { assertEquals(version, it.version()) }
    },
    test("open creates the data directory and its database") {
        val dir = File(freshDataDir("open"), "nested/gridpatrol")
        GridPatrol.open(dir.path, testKeys).use { gp ->
            assertEquals(dir.path, gp.dataDir())
        }
        assertTrue(File(dir, "gridpatrol.sqlite3").isFile, "database file created by Rust")
    },
    test("an unusable data directory is a typed Kotlin exception") {
        val file = File(freshDataDir("occupied"), "a-file")
        file.writeText("not a directory")
        val error = assertFailsWith<GridPatrolException.DataDirectory> { GridPatrol.open(file.path, testKeys) }
        assertTrue(error.reason.isNotBlank(), "the reason says why")
    },
    test("an unknown code is NotFound with the code") {
        GridPatrol.open(freshDataDir("notfound"), testKeys).use { gp ->
            val error = assertFailsWith<GridPatrolException.NotFound> { gp.subtype("99-999") }
            assertEquals(ItemKind.SUBTYPE, error.kind)
            assertEquals("99-999", error.code)
        }
    },
)
