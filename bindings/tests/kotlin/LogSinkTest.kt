// The core's logs reach a Kotlin LogSink (as they would reach Logcat), from the library's own
// thread; a sink that throws is contained and the next sink installed receives the lines.
package gridpatrol.tests

import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertTrue
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.LogLevel
import uniffi.gridpatrol_ffi.LogRecord
import uniffi.gridpatrol_ffi.LogSink
import uniffi.gridpatrol_ffi.installLogSink

class RecordingSink : LogSink {
    val records: MutableList<LogRecord> = Collections.synchronizedList(mutableListOf())
    val threads: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())
    override fun log(record: LogRecord) {
        threads.add(Thread.currentThread().name)
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
        GridPatrol.open(freshDataDir("logs-throw")).use { gp ->
            gp.installComponentPackage(samplePackages.components, null)
        }
        waitUntil("the throwing sink is called") { thrower.calls.get() > 0 }

        val sink = RecordingSink()
        installLogSink(sink, LogLevel.INFO)
        GridPatrol.open(freshDataDir("logs")).use { gp ->
            gp.installComponentPackage(samplePackages.components, null)
        }
        waitUntil("the install is logged") {
            synchronized(sink.records) { sink.records.any { it.message.contains("component package installed") } }
        }
        val line = synchronized(sink.records) { sink.records.first { it.message.contains("component package installed") } }
        assertTrue(line.level == LogLevel.INFO, "level: ${line.level}")
        assertTrue(line.target.startsWith("gridpatrol_core"), "target: ${line.target}")
        assertTrue(line.message.contains("components=") && line.message.contains("version=320506-sample-1"), line.message)
        // JNA names the attached native thread itself; it is one thread, not the caller's.
        assertTrue(
            sink.threads.size == 1 && Thread.currentThread().name !in sink.threads,
            "delivered on the library's one log thread: ${sink.threads}",
        )
        synchronized(sink.records) {
            assertTrue(sink.records.none { it.level == LogLevel.DEBUG || it.level == LogLevel.TRACE }, "nothing under INFO")
        }
    },
)
