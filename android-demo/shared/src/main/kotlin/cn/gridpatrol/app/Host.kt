// The host's services, as the app layer sees them. Android and iOS implement these over
// CameraX / AVFoundation, LocationManager / CoreLocation, ConnectivityManager / NWPathMonitor,
// Keystore / Keychain and WorkManager / BGTaskScheduler; the JVM tests implement them as fakes.
// Nothing here imports Android: every behaviour of the screens is testable on a desktop JVM.
package cn.gridpatrol.app

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.StateFlow
import uniffi.gridpatrol_core.LocationFix

/** The camera: one still photo as the JPEG bytes the sensor pipeline produced. */
fun interface Camera {
    suspend fun takeJpeg(): ByteArray
}

/**
 * Location fixes as the OS delivers them. `fixes()` is hot while collected (the host starts and
 * stops its provider with the collection); `lastFix()` is the newest fix seen, or null.
 */
interface LocationSource {
    fun fixes(): Flow<LocationFix>
    fun lastFix(): LocationFix?
}

/** Wall-clock time, Unix milliseconds (a fake in tests, so times are deterministic). */
fun interface Clock {
    fun nowMs(): Long
}

/** Connectivity as the OS reports it. */
data class Connectivity(val online: Boolean, val metered: Boolean)

interface NetworkMonitor {
    val state: StateFlow<Connectivity>
}

/**
 * The host's key store (Android Keystore / iOS Keychain). The core makes the data key of its
 * directory and hands it here to be wrapped with a key that never leaves the secure hardware;
 * the wrapped bytes are stored next to the data and unwrapped at each open ([CoreKeyStore]
 * carries this across to the core).
 *
 * How it fails decides what happens to the data, so the two failures are distinct:
 * [HostKeyGone] when the host key is gone for good or no longer opens the wrapped bytes (deleted,
 * or invalidated by a lock-screen change on some Android phones): the core then sets the old
 * files aside and the app tells the worker ([DataKeyLoss]). [KeyStoreUnavailable] when the key
 * store cannot answer now (locked, busy, an unexpected error): nothing changes, open again later.
 * Any other exception counts as unavailable: only a certain loss moves data aside.
 */
interface HostKeyStore {
    /** Wraps `key` under the host key `alias`, making that key first if there is none (or anew if it was invalidated). */
    fun wrap(alias: String, key: ByteArray): ByteArray

    /** Unwraps what [wrap] returned; throws [HostKeyGone] or [KeyStoreUnavailable]. */
    fun unwrap(alias: String, wrapped: ByteArray): ByteArray
}

/** The key store cannot answer now (e.g. before the first unlock): nothing is lost; try again. */
class KeyStoreUnavailable(message: String) : Exception(message)

/** The host key is permanently gone, or no longer opens the wrapped key: the data key is lost. */
class HostKeyGone(message: String) : Exception(message)

/**
 * The OS background scheduler (WorkManager / BGTaskScheduler). The app layer asks; the host
 * decides when, and calls [SyncRunner.runScheduled] with the window it was given.
 */
interface SyncScheduler {
    /** A periodic run, on any network; re-registered at boot by the host. */
    fun schedulePeriodic(intervalMinutes: Long)

    /** One run as soon as the network allows (after a submit, or when it comes back). */
    fun requestSoon()
}
