package cn.gridpatrol.demo.log

import android.util.Log
import uniffi.gridpatrol_ffi.LogLevel
import uniffi.gridpatrol_ffi.LogRecord
import uniffi.gridpatrol_ffi.LogSink
import uniffi.gridpatrol_ffi.installLogSink

/**
 * The core's logs in Logcat, under the tag "gridpatrol". The core's log lines carry ids, codes
 * and counts, never personal data, so they may be collected with a bug report.
 */
object LogcatSink : LogSink {
    override fun log(record: LogRecord) {
        val priority = when (record.level) {
            LogLevel.ERROR -> Log.ERROR
            LogLevel.WARN -> Log.WARN
            LogLevel.INFO -> Log.INFO
            LogLevel.DEBUG -> Log.DEBUG
            LogLevel.TRACE -> Log.VERBOSE
        }
        Log.println(priority, "gridpatrol", "${record.target}: ${record.message}")
    }

    fun install() = installLogSink(this, LogLevel.INFO)
}
