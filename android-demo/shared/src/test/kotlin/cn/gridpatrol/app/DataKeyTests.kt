// The data key over the host's key store, as the app sees it: the core's key is wrapped by the
// host and a relaunch opens the same reports; the files hold nothing readable; a wiped key store
// opens a fresh store and tells the worker how many unsent reports were lost and that the old
// files were kept; a locked one or a wrong key changes nothing; and the adapter calls only a
// certain loss "lost".
package cn.gridpatrol.app

import java.io.File
import java.security.SecureRandom
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import uniffi.gridpatrol_ffi.GridPatrolException
import uniffi.gridpatrol_ffi.KeyStoreException

private const val DATABASE = "gridpatrol.sqlite3"
private const val KEY_FILE = "data-key.wrapped"

private fun filesUnder(dir: String): Map<String, ByteArray> {
    val root = File(dir)
    return root.walkTopDown().filter { it.isFile }.associate { it.relativeTo(root).path to it.readBytes() }
}

private fun ByteArray.contains(needle: ByteArray): Boolean =
    (0..size - needle.size).any { i -> needle.indices.all { this[i + it] == needle[it] } }

/** A host key store whose every call fails with `failure`. */
private fun failingHost(failure: () -> Exception) = object : HostKeyStore {
    override fun wrap(alias: String, key: ByteArray): ByteArray = throw failure()
    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray = throw failure()
}

val dataKeyTests = listOf(
    appTest("the core's data key is wrapped by the host key store; a relaunch opens the same reports") {
        val dir = freshDir("key-relaunch")
        val keys = FakeKeyStore()
        val description = "key-test-6b1e 消防通道被三轮车堵住"
        val first = CaptureRig.open(dir, keys)
        val id = try {
            assertNull(first.app.keyLoss.value, "a new directory lost nothing")
            first.captureFireLane(description)
        } finally {
            kill(first.scope, first.app)
        }
        assertEquals(1, keys.wraps.get(), "the core made one data key and had the host wrap it")
        assertTrue(File(dir, KEY_FILE).isFile, "kept wrapped next to the data")
        val files = filesUnder(dir)
        val header = "SQLite format 3".toByteArray()
        assertFalse(files.getValue(DATABASE).copyOf(header.size).contentEquals(header), "the store is encrypted")
        for (needle in listOf(description, "key-test-6b1e", "三轮车")) {
            val leaks = files.filterValues { it.contains(needle.toByteArray()) }.keys
            assertTrue(leaks.isEmpty(), "\"$needle\" is readable in $leaks")
        }
        val again = CaptureRig.open(dir, keys)
        try {
            assertNull(again.app.keyLoss.value)
            assertEquals(listOf(id), again.app.call { it.queue() }.map { it.reportId })
            assertEquals(description, again.app.call { it.report(id) }.content.description)
        } finally {
            kill(again.scope, again.app)
        }
        assertEquals(1, keys.wraps.get(), "a relaunch unwraps; it makes no new key")
    },
    appTest("a wiped key store: a fresh store opens and the worker is told what was lost and that the old files were kept") {
        val dir = freshDir("key-lost")
        val keys = FakeKeyStore()
        val first = CaptureRig.open(dir, keys)
        try {
            first.captureFireLane("第一条")
            first.captureFireLane("第二条")
            assertEquals(2, first.app.call { it.queue() }.size)
        } finally {
            kill(first.scope, first.app)
        }
        val oldStore = File(dir, DATABASE).readBytes()
        keys.wipe()

        val second = CaptureRig.open(dir, keys)
        try {
            val loss = assertNotNull(second.app.keyLoss.value, "the lost key is an explicit state")
            assertEquals(2, loss.unsentReports, "the two queued reports are what was lost")
            val aside = File(loss.keptAside)
            assertTrue(aside.isDirectory, "the old files were kept: ${loss.keptAside}")
            assertContentEquals(oldStore, File(aside, DATABASE).readBytes(), "the old store, as it was")
            assertTrue(File(aside, KEY_FILE).isFile, "and its wrapped key")
            val message = loss.message
            assertEquals("data_key_lost", message.code)
            assertTrue(message.zh.contains("2 条未发送的上报") && message.zh.contains("保留"), message.zh)
            assertTrue(message.en.contains("2 unsent reports") && message.en.contains("kept"), message.en)
            assertEquals(message, userMessage(GridPatrolException.DataKeyLost(2u, loss.keptAside)), "one wording")
            // The app goes on: a fresh, empty store that takes new reports.
            assertTrue(second.app.call { it.queue() }.isEmpty())
            assertTrue(second.app.call { it.drafts() }.isEmpty())
            second.captureFireLane("密钥丢失后的新上报")
            assertEquals(1, second.app.call { it.queue() }.size)
            second.app.acknowledgeKeyLoss()
            assertNull(second.app.keyLoss.value, "read: the notice goes")
        } finally {
            kill(second.scope, second.app)
        }
        val third = CaptureRig.open(dir, keys)
        try {
            assertNull(third.app.keyLoss.value, "the fresh store reopens under its new key")
            assertEquals(1, third.app.call { it.queue() }.size)
        } finally {
            kill(third.scope, third.app)
        }
    },
    appTest("a locked key store is not a lost key: the open fails with a message and nothing moves") {
        val dir = freshDir("key-locked")
        val keys = FakeKeyStore()
        val first = CaptureRig.open(dir, keys)
        val id = try {
            first.captureFireLane("锁屏前的上报")
        } finally {
            kill(first.scope, first.app)
        }
        val before = filesUnder(dir)
        keys.locked = true
        val locked = assertFailsWith<GridPatrolException.KeyStoreUnavailable> { AppCore.open(dir, keys, Dispatchers.IO) }
        assertEquals("key_store_unavailable", userMessage(locked).code)
        val after = filesUnder(dir)
        assertEquals(before.keys, after.keys, "no file moved")
        before.forEach { (path, bytes) -> assertContentEquals(bytes, after.getValue(path), "$path unchanged") }
        assertFalse(File(dir, "lost-key").exists())
        keys.locked = false
        val again = CaptureRig.open(dir, keys)
        try {
            assertNull(again.app.keyLoss.value)
            assertEquals(listOf(id), again.app.call { it.queue() }.map { it.reportId })
        } finally {
            kill(again.scope, again.app)
        }
    },
    appTest("a key store that answers a different key is WrongDataKey: nothing is opened or moved") {
        val dir = freshDir("key-wrong")
        val keys = FakeKeyStore()
        CaptureRig.open(dir, keys).let { kill(it.scope, it.app) }
        val before = filesUnder(dir)
        val liar = object : HostKeyStore by keys {
            override fun unwrap(alias: String, wrapped: ByteArray) = ByteArray(32).also(SecureRandom()::nextBytes)
        }
        val wrong = assertFailsWith<GridPatrolException.WrongDataKey> { AppCore.open(dir, liar, Dispatchers.IO) }
        assertEquals("wrong_data_key", userMessage(wrong).code)
        assertEquals(before.keys, filesUnder(dir).keys)
        CaptureRig.open(dir, keys).let { kill(it.scope, it.app) }
    },
    appTest("the adapter calls only a certain loss KeyLost; every other failure is Unavailable") {
        val wrapped = byteArrayOf(1, 2, 3)
        val passing = object : HostKeyStore {
            override fun wrap(alias: String, key: ByteArray) = key + alias.toByteArray()
            override fun unwrap(alias: String, wrapped: ByteArray) = wrapped.reversedArray()
        }
        assertContentEquals(byteArrayOf(9) + "a".toByteArray(), CoreKeyStore(passing).wrap("a", byteArrayOf(9)))
        assertContentEquals(byteArrayOf(3, 2, 1), CoreKeyStore(passing).unwrap("a", wrapped))

        val gone = CoreKeyStore(failingHost { HostKeyGone("invalidated") })
        assertFailsWith<KeyStoreException.KeyLost> { gone.unwrap("a", wrapped) }
        // Wrapping makes a new key: nothing can be lost there.
        assertFailsWith<KeyStoreException.Unavailable> { gone.wrap("a", byteArrayOf(9)) }

        val locked = CoreKeyStore(failingHost { KeyStoreUnavailable("locked") })
        val unavailable = assertFailsWith<KeyStoreException.Unavailable> { locked.unwrap("a", wrapped) }
        assertTrue(unavailable.reason.contains("locked"), unavailable.reason)
        assertFailsWith<KeyStoreException.Unavailable> { locked.wrap("a", byteArrayOf(9)) }

        val odd = CoreKeyStore(failingHost { IllegalStateException("binder died") })
        val unknown = assertFailsWith<KeyStoreException.Unavailable> { odd.unwrap("a", wrapped) }
        assertTrue(unknown.reason.contains("IllegalStateException"), unknown.reason)
    },
)
