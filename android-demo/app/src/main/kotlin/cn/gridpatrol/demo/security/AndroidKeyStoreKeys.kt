package cn.gridpatrol.demo.security

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import cn.gridpatrol.app.HostKeyStore
import cn.gridpatrol.app.KeyStoreUnavailable
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The app layer's key store over the Android Keystore: an AES-256-GCM wrapping key that never
 * leaves the secure hardware (StrongBox where the phone has it) wraps the data key. A wrapping
 * key the OS invalidated (a lock-screen change on some phones) or deleted is reported as
 * [KeyStoreUnavailable], which the app layer turns into an explicit "key lost" state.
 */
class AndroidKeyStoreKeys : HostKeyStore {
    private val keyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    override fun wrap(alias: String, key: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey(alias, create = true))
        return cipher.iv + cipher.doFinal(key)
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        val key = wrappingKey(alias, create = false) ?: throw KeyStoreUnavailable("no wrapping key")
        return try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped, 0, IV_BYTES))
            cipher.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES)
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw KeyStoreUnavailable("wrapping key invalidated")
        } catch (e: AEADBadTagException) {
            throw KeyStoreUnavailable("wrapped key does not open")
        }
    }

    private fun wrappingKey(alias: String, create: Boolean): SecretKey? {
        (keyStore.getKey(alias, null) as? SecretKey)?.let { return it }
        if (!create) return null
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

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
    }
}
