// The data key of a data directory, kept wrapped by the host's key store: made once with a
// CSPRNG, stored only in wrapped form next to the data, unwrapped at each start. A key the key
// store can no longer open is an explicit state (KeyLost), and the wrapped file is never
// overwritten then: a wiped Keystore must not silently turn into "new empty phone".
//
// The core's encrypted store takes this key when that lands (issue 14); until then the app
// layer holds it ready and the tests prove the lifecycle.
package cn.gridpatrol.app

import java.io.File
import java.security.SecureRandom

sealed interface DataKey {
    class Ready(val key: ByteArray, val created: Boolean) : DataKey
    /** The wrapped key exists but the key store cannot open it; the old files are kept aside. */
    data class KeyLost(val keptAside: File) : DataKey
}

class DataKeyVault(
    private val keyStore: HostKeyStore,
    private val dataDir: File,
    private val alias: String = "gridpatrol.data-key",
    private val random: SecureRandom = SecureRandom(),
) {
    private val wrappedFile get() = File(dataDir, "data-key.wrapped")

    fun open(): DataKey {
        dataDir.mkdirs()
        val file = wrappedFile
        if (!file.exists()) return DataKey.Ready(create(file), created = true)
        return try {
            DataKey.Ready(keyStore.unwrap(alias, file.readBytes()), created = false)
        } catch (e: KeyStoreUnavailable) {
            val aside = File(dataDir, "data-key.wrapped.lost-${System.currentTimeMillis()}")
            check(file.renameTo(aside)) { "the lost key's file could not be kept aside" }
            DataKey.KeyLost(aside)
        }
    }

    /** A new 256-bit key, written wrapped via a temp file + rename (a crash leaves old or new). */
    private fun create(file: File): ByteArray {
        val key = ByteArray(32).also(random::nextBytes)
        val tmp = File(dataDir, "data-key.wrapped.tmp")
        tmp.outputStream().use { out ->
            out.write(keyStore.wrap(alias, key))
            out.fd.sync()
        }
        check(tmp.renameTo(file)) { "the wrapped key could not be stored" }
        return key
    }
}
