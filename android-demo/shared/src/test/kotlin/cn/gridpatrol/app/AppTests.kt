// The app layer's tests on the JVM, against the real native library and a real
// `gridpatrol serve`: each test a coroutine; the run ends with "app: N passed, M failed".
package cn.gridpatrol.app

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

class AppTest(val name: String, val body: suspend () -> Unit)

fun appTest(name: String, body: suspend () -> Unit) = AppTest(name, body)

/** The scratch folder of this run (the script's, inherited by child processes). */
fun testRoot(): File =
    File(System.getenv("GRIDPATROL_TEST_TMP") ?: System.getProperty("java.io.tmpdir")).also { it.mkdirs() }

fun freshDir(prefix: String): String = Files.createTempDirectory(testRoot().toPath(), prefix).toString()

/** `gridpatrol serve` on a free port with the development enrollment code "TEST". */
class Platform : AutoCloseable {
    private val process: Process
    val url: String

    init {
        val bin = System.getProperty("gridpatrol.bin")?.takeIf { it.isNotEmpty() }
            ?: error("-Dgridpatrol.bin is not set (run scripts/app-tests.sh)")
        val data = File(freshDir("platform"), "data")
        process = ProcessBuilder(
            bin, "serve", "--addr", "127.0.0.1:0", "--json", "--data", data.path, "--enrollment-code", "TEST",
        ).redirectError(ProcessBuilder.Redirect.DISCARD).start()
        val line = BufferedReader(InputStreamReader(process.inputStream)).readLine()
            ?: error("gridpatrol serve printed nothing")
        val addr = Regex(""""addr"\s*:\s*"([^"]+)"""").find(line)?.groupValues?.get(1) ?: error("no addr in $line")
        url = "http://$addr"
    }

    override fun close() {
        process.destroy()
        process.waitFor(10, TimeUnit.SECONDS)
    }
}

/**
 * The "main" scope of a screen: in tests, Dispatchers.Default stands in for the UI thread; core
 * calls go to Dispatchers.IO through AppCore, as on a phone.
 */
fun screenScope() = CoroutineScope(SupervisorJob() + Dispatchers.Default)

/** Waits (bounded, as a failure guard, not a measurement) until the state satisfies `done`. */
suspend fun <T> StateFlow<T>.awaitState(what: String, done: (T) -> Boolean): T =
    try {
        withTimeout(30_000) { first(done) }
    } catch (e: kotlinx.coroutines.TimeoutCancellationException) {
        error("timed out waiting for $what; last state: $value")
    }

val appSuites: List<Pair<String, List<AppTest>>> = listOf(
    "capture" to captureTests,
    "patrol day" to patrolDayTests,
    "sync" to syncTests,
    "data key" to dataKeyTests,
)

fun main(args: Array<String>) {
    val filter = args.firstOrNull()
    var passed = 0
    var failed = 0
    for ((suite, tests) in appSuites) {
        for (case in tests) {
            val name = "$suite: ${case.name}"
            if (filter != null && !name.contains(filter)) continue
            try {
                runBlocking { case.body() }
                passed++
                println("PASS $name")
            } catch (t: Throwable) {
                failed++
                println("FAIL $name: ${t::class.simpleName}: ${t.message}")
                t.printStackTrace(System.out)
            }
        }
    }
    println("app: $passed passed, $failed failed")
    if (failed > 0 || passed == 0) exitProcess(1)
}

/** Closes the scope's work, then the core: what the OS does when it kills the process. */
fun kill(scope: CoroutineScope, app: AppCore) {
    scope.cancel()
    app.close()
}
