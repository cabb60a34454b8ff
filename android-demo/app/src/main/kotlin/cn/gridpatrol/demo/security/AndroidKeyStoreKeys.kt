package cn.gridpatrol.demo.security

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import cn.gridpatrol.app.HostKeyGone
import cn.gridpatrol.app.HostKeyStore
import cn.gridpatrol.app.KeyStoreUnavailable
import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.ProviderException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The host key store over the Android Keystore: an AES-256-GCM wrapping key that never leaves
 * the secure hardware (StrongBox where the phone has it) wraps the data key the core makes
 * (the app layer's `CoreKeyStore` hands it to `GridPatrol.open`).
 *
 * What a failed unwrap means decides what happens to the data, so it is said precisely:
 * * the wrapping key is gone for good — deleted, or invalidated by the OS
 *   ([KeyPermanentlyInvalidatedException], a lock-screen change on some phones), or present but
 *   not opening the wrapped bytes ([AEADBadTagException]) — is [HostKeyGone]: the core sets the
 *   old files aside and the app tells the worker;
 * * anything else (the Keystore daemon busy or restarting, a provider error) is
 *   [KeyStoreUnavailable]: nothing changes, the next open tries again.
 *
 * `wrap` replaces an invalidated wrapping key with a new one: it runs only when the core makes a
 * new data key (a new directory, or the fresh one after a loss), when the old key opens nothing.
 */
class AndroidKeyStoreKeys : HostKeyStore {
    private val keyStore by lazy { KeyStore.getInstance(PROVIDER).apply { load(null) } }

    override fun wrap(alias: String, key: ByteArray): ByteArray = unavailableOnError {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        try {
            cipher.init(Cipher.ENCRYPT_MODE, existingKey(alias) ?: newKey(alias))
        } catch (e: KeyPermanentlyInvalidatedException) {
            keyStore.deleteEntry(alias)
            cipher.init(Cipher.ENCRYPT_MODE, newKey(alias))
        }
        cipher.iv + cipher.doFinal(key)
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray = unavailableOnError {
        val key = existingKey(alias) ?: throw HostKeyGone("no wrapping key")
        if (wrapped.size <= IV_BYTES) throw HostKeyGone("wrapped key too short")
        try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped, 0, IV_BYTES))
            cipher.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES)
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw HostKeyGone("wrapping key invalidated")
        } catch (e: AEADBadTagException) {
            throw HostKeyGone("wrapped key does not open")
        }
    }

    private fun existingKey(alias: String): SecretKey? = keyStore.getKey(alias, null) as? SecretKey

    private fun newKey(alias: String): SecretKey {
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        generator.init(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    /** Keystore and provider errors other than the two above are "not now", never "lost". */
    private inline fun <T> unavailableOnError(block: () -> T): T =
        try {
            block()
        } catch (e: HostKeyGone) {
            throw e
        } catch (e: GeneralSecurityException) {
            throw KeyStoreUnavailable("${e::class.java.simpleName}: ${e.message}")
        } catch (e: ProviderException) {
            throw KeyStoreUnavailable("${e::class.java.simpleName}: ${e.message}")
        }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
    }
}
