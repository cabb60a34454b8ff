package cn.gridpatrol.demo.location

import android.annotation.SuppressLint
import android.content.Context
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Build
import android.os.Looper
import cn.gridpatrol.app.LocationSource
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import uniffi.gridpatrol_core.Datum
import uniffi.gridpatrol_core.LocationFix
import uniffi.gridpatrol_core.LocationProvider

/**
 * Fixes from the framework's LocationManager: the GPS provider, plus the platform's own fused
 * provider where the OS has one (Android 12+). No Google Play services: most phones sold in
 * China have none, and FusedLocationProviderClient fails there. Every fix goes to the core as the
 * OS reported it (WGS-84; mock flag from the OS); the core filters and counts, the app does not.
 */
class FrameworkLocationSource(context: Context, private val intervalMs: Long = 2_000) : LocationSource {
    private val manager = context.getSystemService(LocationManager::class.java)
    @Volatile private var last: LocationFix? = null

    override fun lastFix(): LocationFix? = last

    @SuppressLint("MissingPermission") // Asked for by the screens before a capture or patrol starts.
    override fun fixes(): Flow<LocationFix> = callbackFlow {
        val listener = object : LocationListener {
            override fun onLocationChanged(location: Location) {
                // A fix without an accuracy radius cannot be judged (the core refuses it).
                if (!location.hasAccuracy()) return
                val fix = location.toFix()
                last = fix
                trySend(fix)
            }

            // A batch the OS held back while the screen was off: in time order.
            override fun onLocationChanged(locations: MutableList<Location>) {
                locations.sortedBy { it.time }.forEach(::onLocationChanged)
            }

            override fun onProviderDisabled(provider: String) {}
            override fun onProviderEnabled(provider: String) {}
        }
        val providers = buildList {
            add(LocationManager.GPS_PROVIDER)
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S && manager.hasProvider(LocationManager.FUSED_PROVIDER)) {
                add(LocationManager.FUSED_PROVIDER)
            } else if (manager.allProviders.contains(LocationManager.NETWORK_PROVIDER)) {
                add(LocationManager.NETWORK_PROVIDER)
            }
        }
        for (provider in providers) {
            manager.requestLocationUpdates(provider, intervalMs, 0f, listener, Looper.getMainLooper())
        }
        awaitClose { manager.removeUpdates(listener) }
    }

    private fun Location.toFix() = LocationFix(
        lat = latitude,
        lon = longitude,
        accuracyM = accuracy.toDouble(),
        fixTimeMs = time,
        provider = when (provider) {
            LocationManager.GPS_PROVIDER -> LocationProvider.GPS
            LocationManager.NETWORK_PROVIDER -> LocationProvider.NETWORK
            else -> LocationProvider.FUSED
        },
        isMock = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) isMock else @Suppress("DEPRECATION") isFromMockProvider,
        datum = Datum.WGS84,
    )
}
