package cn.gridpatrol.demo.location

import android.app.Notification
import android.content.Context
import android.content.Intent
import android.content.pm.ServiceInfo
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.core.app.ServiceCompat
import androidx.lifecycle.LifecycleService
import androidx.lifecycle.lifecycleScope
import cn.gridpatrol.demo.GridPatrolApplication
import cn.gridpatrol.demo.MainActivity
import cn.gridpatrol.demo.R
import kotlinx.coroutines.launch

/**
 * Keeps recording while the screen is locked: a foreground service of type `location`, started
 * from the patrol screen's Start button (Android 14 allows starting a location service only
 * from a visible activity or a user action) and stopped by Stop. It owns the location updates
 * of the patrol; the core owns the recording and its durability (a kill loses at most the last
 * batch, and the patrol is found open at the next launch).
 */
class PatrolLocationService : LifecycleService() {
    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        super.onStartCommand(intent, flags, startId)
        val app = application as GridPatrolApplication
        if (intent?.action == ACTION_STOP) {
            lifecycleScope.launch {
                app.patrol.await().stop().join()
                ServiceCompat.stopForeground(this@PatrolLocationService, ServiceCompat.STOP_FOREGROUND_REMOVE)
                stopSelf()
            }
            return START_NOT_STICKY
        }
        ServiceCompat.startForeground(
            this, NOTIFICATION_ID, notification(),
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) ServiceInfo.FOREGROUND_SERVICE_TYPE_LOCATION else 0,
        )
        lifecycleScope.launch {
            // The application's recorder resumed an open patrol (after a crash or a reboot);
            // otherwise one starts now.
            val patrol = app.patrol.await()
            if (!patrol.state.value.active) patrol.start()
        }
        // Restarted by the OS after it killed the process: the open patrol resumes.
        return START_STICKY
    }

    override fun onDestroy() {
        val app = application as GridPatrolApplication
        app.appScope.launch { app.patrol.await().onBackground() }
        super.onDestroy()
    }

    private fun notification(): Notification {
        val open = android.app.PendingIntent.getActivity(
            this, 0, Intent(this, MainActivity::class.java), android.app.PendingIntent.FLAG_IMMUTABLE,
        )
        return NotificationCompat.Builder(this, GridPatrolApplication.CHANNEL_PATROL)
            .setSmallIcon(android.R.drawable.ic_menu_mylocation)
            .setContentTitle(getString(R.string.patrol_recording))
            .setContentIntent(open)
            .setOngoing(true)
            .build()
    }

    companion object {
        private const val NOTIFICATION_ID = 1
        private const val ACTION_STOP = "cn.gridpatrol.demo.STOP_PATROL"

        fun start(context: Context) {
            context.startForegroundService(Intent(context, PatrolLocationService::class.java))
        }

        fun stop(context: Context) {
            context.startService(Intent(context, PatrolLocationService::class.java).setAction(ACTION_STOP))
        }
    }
}
