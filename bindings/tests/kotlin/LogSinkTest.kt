// The core's logs reach a Kotlin LogSink (as they would reach Logcat), from the library's own
// thread; a sink that throws is contained and the next sink installed receives the lines.
package gridpatrol.tests

import com.sun.jna.Library
import com.sun.jna.Native
import com.sun.jna.NativeLong
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertTrue
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.LogLevel
import uniffi.gridpatrol_ffi.LogRecord
import uniffi.gridpatrol_ffi.LogSink
import uniffi.gridpatrol_ffi.installLogSink

/** The native thread calling: JNA attaches a native thread anew (a new `Thread-N`) for each callback. */
private interface PThreads : Library {
    fun pthread_self(): NativeLong
}

private val pthreads: PThreads = Native.load("c", PThreads::class.java)

fun nativeThread(): Long = pthreads.pthread_self().toLong()

class RecordingSink : LogSink {
    val records: MutableList<LogRecord> = Collections.synchronizedList(mutableListOf())
    val threads: MutableSet<Long> = Collections.synchronizedSet(mutableSetOf())
    override fun log(record: LogRecord) {
        threads.add(nativeThread())
        records.add(record)
    }
}

class ThrowingSink : LogSink {
    val calls = AtomicInteger()
    override fun log(record: LogRecord) {
        calls.incrementAndGet()
        throw IllegalStateException("an app bug in the log sink")
    }
}

val logSinkTests = listOf(
    test("core log lines reach a Kotlin sink; a throwing sink breaks nothing") {
        val thrower = ThrowingSink()
        installLogSink(thrower, LogLevel.INFO)
        GridPatrol.open(freshDataDir("logs-throw"), testKeys).use { gp ->
            gp.installComponentPackage(samplePackages.components, null)
        }
        waitUntil("the throwing sink is called") { thrower.calls.get() > 0 }

        val sink = RecordingSink()
        installLogSink(sink, LogLevel.INFO)
        GridPatrol.open(freshDataDir("logs"), testKeys).use { gp ->
            gp.installComponentPackage(samplePackages.components, null)
        }
        waitUntil("the install is logged") {
            synchronized(sink.records) { sink.records.any { it.message.contains("component package installed") } }
        }
        val line = synchronized(sink.records) { sink.records.first { it.message.contains("component package installed") } }
        assertTrue(line.level == LogLevel.INFO, "level: ${line.level}")
        assertTrue(line.target.startsWith("gridpatrol_core"), "target: ${line.target}")
        assertTrue(line.message.contains("components=") && line.message.contains("version=320506-sample-1"), line.message)
        // Every line comes from one native thread (JNA gives it a new Java name at each
        // callback, so it is told by its pthread id), and it is not the caller's.
        assertTrue(
            sink.threads.size == 1 && nativeThread() !in sink.threads,
            "delivered on the library's one log thread: ${sink.threads} (caller ${nativeThread()})",
        )
        synchronized(sink.records) {
            assertTrue(sink.records.none { it.level == LogLevel.DEBUG || it.level == LogLevel.TRACE }, "nothing under INFO")
        }
    },
)
