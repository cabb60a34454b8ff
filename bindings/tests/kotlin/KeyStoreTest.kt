// The data key through a Kotlin key store: the directory reopens with it, nothing the worker
// typed is readable in the files, and each way a key store fails is its own typed error — a
// wiped one sets the old files aside (never deletes them), a locked one changes nothing, one
// that answers a wrong key opens nothing.
package gridpatrol.tests

import java.io.File
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import uniffi.gridpatrol_core.PhotoKind
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException

private val holder = Reporter(reporterId = "insp-kotlin-keys", role = Role.INSPECTOR, gridIds = emptyList())

private const val DATABASE = "gridpatrol.sqlite3"
private const val KEY_FILE = "data-key.wrapped"

/** A directory with one draft (a description and a photo) made under `keys`, closed; its draft id. */
private suspend fun directoryWithDraft(dir: String, keys: TestKeyStore, description: String = "井盖缺失"): String =
    GridPatrol.open(dir, keys).use { gp ->
        val draft = gp.createDraft(holder, null)
        gp.setEvent(draft.id, "03-001", "03-001-01")
        gp.addPhoto(draft.id, testJpeg(800, 600), PhotoKind.EVIDENCE)
        gp.setDescription(draft.id, description)
        draft.id
    }

/** Every file under `dir`, by path relative to it, with its bytes. */
private fun snapshot(dir: String): Map<String, ByteArray> {
    val root = File(dir)
    return root.walkTopDown().filter { it.isFile }.associate { it.relativeTo(root).path to it.readBytes() }
}

private fun ByteArray.contains(needle: ByteArray): Boolean =
    (0..size - needle.size).any { i -> needle.indices.all { this[i + it] == needle[it] } }

val keyStoreTests = listOf(
    test("a directory reopened with the same key store has its draft; the key is unwrapped, not remade") {
        val dir = freshDataDir("keys-reopen")
        val keys = TestKeyStore()
        val draftId = directoryWithDraft(dir, keys, "路灯不亮")
        assertEquals(1, keys.wraps.get(), "the data key was made and wrapped once")
        val wrappedFile = File(dir, KEY_FILE)
        assertTrue(wrappedFile.isFile, "the wrapped key is stored in the directory")
        val wrapped = wrappedFile.readBytes()
        GridPatrol.open(dir, keys).use { gp ->
            val draft = gp.draft(draftId)
            assertEquals("路灯不亮", draft.content.description)
            assertJpeg(gp.photoJpeg(draft.content.photos.single().sha256), "the photo opens under the same key")
        }
        assertEquals(1, keys.wraps.get(), "a reopen wraps nothing new")
        assertTrue(keys.unwraps.get() >= 1, "the reopen unwrapped the stored key")
        assertContentEquals(wrapped, wrappedFile.readBytes(), "the wrapped key file is not rewritten")
    },
    test("nothing the worker typed is readable in the directory's files; the store is no plain SQLite") {
        val dir = freshDataDir("keys-at-rest")
        val keys = TestKeyStore()
        val description = "zebra-7f3a9c 斑马线褪色 unique-marker-41d2"
        directoryWithDraft(dir, keys, description)
        val files = snapshot(dir)
        assertTrue(DATABASE in files, "the store is there: ${files.keys}")
        assertTrue(files.keys.any { it.contains("photos/") }, "the photo is there: ${files.keys}")
        for (needle in listOf(description, "zebra-7f3a9c", "unique-marker-41d2", "斑马线褪色")) {
            val bytes = needle.toByteArray(Charsets.UTF_8)
            val leaks = files.filterValues { it.contains(bytes) }.keys
            assertTrue(leaks.isEmpty(), "\"$needle\" is readable in $leaks")
        }
        val header = "SQLite format 3".toByteArray(Charsets.US_ASCII)
        assertFalse(files.getValue(DATABASE).copyOf(header.size).contentEquals(header), "the store has no plaintext SQLite header")
        val jpegs = files.filterValues { it.size > 2 && it[0] == 0xFF.toByte() && it[1] == 0xD8.toByte() }.keys
        assertTrue(jpegs.isEmpty(), "no file on disk is a readable JPEG: $jpegs")
    },
    test("a wiped key store is DataKeyLost: the old files kept aside with the store, then a fresh store") {
        val dir = freshDataDir("keys-lost")
        val keys = TestKeyStore()
        directoryWithDraft(dir, keys)
        val oldStore = File(dir, DATABASE).readBytes()
        keys.wipe()
        val lost = assertFailsWith<GridPatrolException.DataKeyLost> { GridPatrol.open(dir, keys) }
        assertEquals(0u, lost.unsentReports, "a draft is no unsent report; the count was taken")
        val aside = File(lost.keptAside)
        assertTrue(aside.isDirectory, "the kept-aside folder exists: ${lost.keptAside}")
        assertTrue(aside.canonicalPath.startsWith(File(dir).canonicalPath + File.separator), "it is inside the data directory")
        val keptStore = File(aside, DATABASE)
        assertTrue(keptStore.isFile, "the old store is kept: ${aside.list()?.toList()}")
        assertContentEquals(oldStore, keptStore.readBytes(), "kept as it was, not rewritten")
        assertTrue(File(aside, KEY_FILE).isFile, "the old wrapped key is kept too")
        assertFalse(File(dir, KEY_FILE).exists(), "no wrapped key is left for the fresh store to trip on")
        GridPatrol.open(dir, keys).use { gp ->
            assertTrue(gp.drafts().isEmpty(), "a fresh, empty store")
            gp.createDraft(holder, null)
            assertEquals(1, gp.drafts().size, "the fresh store works")
        }
        assertTrue(File(dir, KEY_FILE).isFile, "the fresh store has its own wrapped key")
        assertTrue(keptStore.isFile, "the kept-aside files stay after the fresh open")
        // And that fresh store reopens under the new key.
        GridPatrol.open(dir, keys).use { gp -> assertEquals(1, gp.drafts().size) }
    },
    test("a key store that cannot answer now is KeyStoreUnavailable, and nothing in the directory moved") {
        val dir = freshDataDir("keys-locked")
        val keys = TestKeyStore()
        val draftId = directoryWithDraft(dir, keys)
        val before = snapshot(dir)
        keys.unavailable = "locked before the first unlock"
        val locked = assertFailsWith<GridPatrolException.KeyStoreUnavailable> { GridPatrol.open(dir, keys) }
        assertEquals("locked before the first unlock", locked.reason)
        val after = snapshot(dir)
        assertEquals(before.keys, after.keys, "no file moved, added or removed")
        for ((path, bytes) in before) assertContentEquals(bytes, after.getValue(path), "$path unchanged")
        assertFalse(File(dir, "lost-key").exists(), "nothing set aside")
        // Unlocked, the same directory opens with its draft.
        keys.unavailable = null
        GridPatrol.open(dir, keys).use { gp -> assertEquals(draftId, gp.draft(draftId).id) }
    },
    test("a key store that answers a different key is WrongDataKey: nothing opened, moved or overwritten") {
        val dir = freshDataDir("keys-wrong")
        val keys = TestKeyStore()
        val draftId = directoryWithDraft(dir, keys)
        val before = snapshot(dir)
        keys.answerWrongKey = true
        assertFailsWith<GridPatrolException.WrongDataKey> { GridPatrol.open(dir, keys) }
        val after = snapshot(dir)
        assertEquals(before.keys, after.keys, "no file moved, added or removed")
        for ((path, bytes) in before) assertContentEquals(bytes, after.getValue(path), "$path unchanged")
        keys.answerWrongKey = false
        GridPatrol.open(dir, keys).use { gp -> assertEquals(draftId, gp.draft(draftId).id) }
    },
    test("a key store that throws on the first wrap opens nothing and leaves no key file") {
        val dir = freshDataDir("keys-first-wrap")
        val keys = TestKeyStore().apply { unavailable = "keystore busy" }
        assertFailsWith<GridPatrolException.KeyStoreUnavailable> { GridPatrol.open(dir, keys) }
        assertFalse(File(dir, KEY_FILE).exists(), "no half-made key file")
        keys.unavailable = null
        GridPatrol.open(dir, keys).use { gp -> assertTrue(gp.drafts().isEmpty()) }
        assertTrue(File(dir, KEY_FILE).isFile)
    },
)
