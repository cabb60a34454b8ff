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
 * The host's key store (Android Keystore / iOS Keychain). It wraps a data key made by the app
 * with a key that never leaves the secure hardware, so the wrapped bytes can be stored next to
 * the data. `unwrap` of bytes it did not wrap, or after the store was wiped (a lock-screen change
 * on some Android phones), throws [KeyStoreUnavailable]: the app must treat that as "key lost",
 * never as "make a new key and overwrite".
 */
interface HostKeyStore {
    fun wrap(alias: String, key: ByteArray): ByteArray
    fun unwrap(alias: String, wrapped: ByteArray): ByteArray
}

class KeyStoreUnavailable(message: String) : Exception(message)

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
