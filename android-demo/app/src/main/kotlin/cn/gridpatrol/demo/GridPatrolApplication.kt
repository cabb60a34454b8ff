package cn.gridpatrol.demo

import android.app.Application
import android.app.NotificationChannel
import android.app.NotificationManager
import android.os.Build
import androidx.work.Configuration
import cn.gridpatrol.app.AppCore
import cn.gridpatrol.app.PatrolController
import cn.gridpatrol.app.SyncRunner
import cn.gridpatrol.app.SyncSettings
import cn.gridpatrol.demo.location.FrameworkLocationSource
import cn.gridpatrol.demo.log.LogcatSink
import cn.gridpatrol.demo.net.ConnectivityNetworkMonitor
import cn.gridpatrol.demo.security.AndroidKeyStoreKeys
import cn.gridpatrol.demo.sync.WorkManagerScheduler
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role

/**
 * The process: one core for the app's data directory (opened off the main thread, shared by the
 * activity, the patrol service and the sync worker), the host services, and the sync schedule.
 */
class GridPatrolApplication : Application(), Configuration.Provider {
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val network by lazy { ConnectivityNetworkMonitor(this) }
    val scheduler by lazy { WorkManagerScheduler(this) }

    /**
     * The core, opened once per process; every user awaits the same instance. Its store and
     * photos are encrypted under a data key the Android Keystore wraps; a key the Keystore lost
     * opens a fresh store and is kept in `AppCore.keyLoss` for the activity to tell the worker.
     */
    val core: Deferred<AppCore> by lazy {
        appScope.async {
            LogcatSink.install()
            AppCore.open(filesDir.resolve("gridpatrol").path, AndroidKeyStoreKeys(), Dispatchers.IO).also {
                it.followNetwork(network)
            }
        }
    }

    val sync: Deferred<SyncRunner> by lazy {
        appScope.async {
            SyncRunner(core.await(), appScope, syncSettings(), network, scheduler).also { it.followNetwork() }
        }
    }

    /**
     * The worker this phone belongs to. A real deployment takes it from enrollment (the platform
     * binds the device to its worker); the demo uses one inspector.
     */
    val reporter = Reporter(reporterId = "insp-demo-01", role = Role.INSPECTOR, gridIds = emptyList())

    /** The one location source of the process (the capture screen reads its newest fix). */
    val location by lazy { FrameworkLocationSource(this) }

    /**
     * The one patrol recorder of the process: the foreground service starts and stops it, the
     * patrol screen shows it. An open patrol found at launch continues.
     */
    val patrol: Deferred<PatrolController> by lazy {
        appScope.async {
            PatrolController(core.await(), appScope, reporter, location).also { it.resume().join() }
        }
    }

    override fun onCreate() {
        super.onCreate()
        createChannels()
        scheduler.schedulePeriodic(intervalMinutes = 15)
    }

    override val workManagerConfiguration: Configuration
        get() = Configuration.Builder().setMinimumLoggingLevel(android.util.Log.INFO).build()

    private fun syncSettings() = SyncSettings(
        platformUrl = BuildConfig.PLATFORM_URL,
        // A real deployment reads the code the grid leader gave from an enrollment screen; the
        // demo uses the development code of `gridpatrol serve --enrollment-code DEMO`.
        enrollmentCode = "DEMO",
        deviceName = "${Build.MANUFACTURER} ${Build.MODEL}",
        // The platform key's pin and its backup's, from the build (empty for the local demo
        // platform, which serves plain HTTP).
        tlsPins = BuildConfig.PLATFORM_TLS_PINS.split(',').map { it.trim() }.filter { it.isNotEmpty() },
    )

    private fun createChannels() {
        val manager = getSystemService(NotificationManager::class.java)
        manager.createNotificationChannel(
            NotificationChannel(CHANNEL_PATROL, getString(R.string.channel_patrol), NotificationManager.IMPORTANCE_LOW),
        )
        manager.createNotificationChannel(
            NotificationChannel(CHANNEL_SYNC, getString(R.string.channel_sync), NotificationManager.IMPORTANCE_MIN),
        )
    }

    companion object {
        const val CHANNEL_PATROL = "patrol"
        const val CHANNEL_SYNC = "sync"
    }
}
