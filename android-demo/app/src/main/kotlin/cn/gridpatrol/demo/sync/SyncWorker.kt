package cn.gridpatrol.demo.sync

import android.content.Context
import android.content.pm.ServiceInfo
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.work.CoroutineWorker
import androidx.work.ForegroundInfo
import androidx.work.WorkerParameters
import cn.gridpatrol.app.SyncResult
import cn.gridpatrol.demo.GridPatrolApplication
import cn.gridpatrol.demo.R
import java.time.Duration

/**
 * One sync run inside WorkManager's window. A worker gets about 10 minutes before the OS stops
 * it; the runner ends the core's run before that (`runScheduled` keeps a margin), and a stopped
 * worker cancels the coroutine, which aborts the uploads in flight — the outbox keeps
 * everything, so the next run continues where this one stopped.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result {
        val app = applicationContext as GridPatrolApplication
        return when (app.sync.await().runScheduled(WINDOW)) {
            is SyncResult.Done, SyncResult.NotEnrolled -> Result.success()
            // Offline or a transient failure: WorkManager retries with its own backoff; the
            // core's per-report backoff still applies inside the next run.
            is SyncResult.Failed, SyncResult.Offline -> Result.retry()
            SyncResult.Cancelled -> Result.retry()
        }
    }

    /** Expedited work on Android 11 and older runs as a foreground service: its notification. */
    override suspend fun getForegroundInfo(): ForegroundInfo {
        val notification = NotificationCompat.Builder(applicationContext, GridPatrolApplication.CHANNEL_SYNC)
            .setSmallIcon(android.R.drawable.stat_sys_upload)
            .setContentTitle(applicationContext.getString(R.string.sync_running))
            .setOngoing(true)
            .build()
        return if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            ForegroundInfo(NOTIFICATION_ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC)
        } else {
            ForegroundInfo(NOTIFICATION_ID, notification)
        }
    }

    companion object {
        val WINDOW: Duration = Duration.ofMinutes(10)
        private const val NOTIFICATION_ID = 2
    }
}
