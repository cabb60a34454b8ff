// The host's key store as the core's: the core makes the data key, wraps it through here, keeps
// it wrapped in the data directory, and encrypts the store and the photos under it. This file
// only carries the two calls across and says which failure is which; the key's lifecycle and the
// lost-key state (the old files set aside, never deleted) are the core's.
package cn.gridpatrol.app

import uniffi.gridpatrol_ffi.GridPatrolException
import uniffi.gridpatrol_ffi.KeyStore
import uniffi.gridpatrol_ffi.KeyStoreException

/**
 * A [HostKeyStore] handed to `GridPatrol.open`. On `unwrap`, [HostKeyGone] is the core's
 * `KeyLost` (the core sets the directory's files aside: [DataKeyLoss]); [KeyStoreUnavailable]
 * and any other exception are `Unavailable` (nothing changes; open again later), so only a
 * certain loss ever moves data. On `wrap` (a new key for a new or reset directory) nothing can
 * be lost yet: every failure is `Unavailable`.
 */
class CoreKeyStore(private val host: HostKeyStore) : KeyStore {
    override fun wrap(alias: String, key: ByteArray): ByteArray =
        try {
            host.wrap(alias, key)
        } catch (e: Exception) {
            throw KeyStoreException.Unavailable(reason(e))
        }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray =
        try {
            host.unwrap(alias, wrapped)
        } catch (e: HostKeyGone) {
            throw KeyStoreException.KeyLost()
        } catch (e: Exception) {
            throw KeyStoreException.Unavailable(reason(e))
        }

    /** For the core's logs: the exception's class and message (no key bytes ever reach these). */
    private fun reason(e: Exception) = e.message?.let { "${e::class.simpleName}: $it" } ?: "${e::class.simpleName}"
}

/**
 * The data key was lost (the key store no longer holds it), as the worker is told: how many
 * reports had not been delivered when last counted (null: never counted) and where the core kept
 * the old files. The app has opened a fresh, empty store meanwhile; what was unsent cannot be
 * sent from this phone, but nothing was deleted.
 */
data class DataKeyLoss(val unsentReports: Int?, val keptAside: String) {
    val message: UserMessage get() = keyLossMessage(unsentReports)

    companion object {
        fun of(error: GridPatrolException.DataKeyLost) = DataKeyLoss(error.unsentReports?.toInt(), error.keptAside)
    }
}
