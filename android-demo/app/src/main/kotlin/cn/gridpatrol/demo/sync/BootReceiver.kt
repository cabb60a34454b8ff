package cn.gridpatrol.demo.sync

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent

/**
 * After a reboot or an app update: the periodic sync is enqueued again (KEEP: a schedule that
 * survived is left alone) and one run is asked for, so reports captured before the phone died
 * go out without the worker opening the app.
 */
class BootReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action != Intent.ACTION_BOOT_COMPLETED && intent.action != Intent.ACTION_MY_PACKAGE_REPLACED) return
        val scheduler = WorkManagerScheduler(context.applicationContext)
        scheduler.schedulePeriodic(intervalMinutes = 15)
        scheduler.requestSoon()
    }
}
