// The key store the Kotlin tests hand to GridPatrol.open: what the Android Keystore does, minus
// the hardware. One AES-256-GCM wrapping key per alias, held in memory by the instance (made on
// the first wrap), and switches that make it behave as a failing phone does: a wiped Keystore
// (KeyLost), one locked before the first unlock (Unavailable), one that answers a wrong key.
package gridpatrol.tests

import java.security.SecureRandom
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import uniffi.gridpatrol_ffi.KeyStore
import uniffi.gridpatrol_ffi.KeyStoreException

class TestKeyStore : KeyStore {
    private val keys = ConcurrentHashMap<String, SecretKey>()

    /** Set: every call answers `Unavailable(reason)` (a phone locked since it booted). */
    @Volatile var unavailable: String? = null

    /** Set: `unwrap` answers 32 random bytes instead of the key that was wrapped. */
    @Volatile var answerWrongKey = false

    val wraps = AtomicInteger()
    val unwraps = AtomicInteger()

    /** A lock-screen change on some Android phones: every wrapping key is gone for good. */
    fun wipe() = keys.clear()

    override fun wrap(alias: String, key: ByteArray): ByteArray {
        unavailable?.let { throw KeyStoreException.Unavailable(it) }
        wraps.incrementAndGet()
        val wrapping = keys.computeIfAbsent(alias) { KeyGenerator.getInstance("AES").apply { init(256) }.generateKey() }
        val cipher = Cipher.getInstance(GCM)
        cipher.init(Cipher.ENCRYPT_MODE, wrapping)
        cipher.updateAAD(alias.toByteArray())
        return cipher.iv + cipher.doFinal(key)
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        unavailable?.let { throw KeyStoreException.Unavailable(it) }
        unwraps.incrementAndGet()
        val wrapping = keys[alias] ?: throw KeyStoreException.KeyLost()
        if (answerWrongKey) return ByteArray(32).also(SecureRandom()::nextBytes)
        if (wrapped.size <= IV_BYTES) throw KeyStoreException.KeyLost()
        val cipher = Cipher.getInstance(GCM)
        cipher.init(Cipher.DECRYPT_MODE, wrapping, GCMParameterSpec(128, wrapped, 0, IV_BYTES))
        cipher.updateAAD(alias.toByteArray())
        return try {
            cipher.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES)
        } catch (e: AEADBadTagException) {
            // This store's key does not open it: as lost as a missing key.
            throw KeyStoreException.KeyLost()
        }
    }

    private companion object {
        const val GCM = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
    }
}

/** The key store of every test that is not about keys: one per process, as on a phone. */
val testKeys = TestKeyStore()
