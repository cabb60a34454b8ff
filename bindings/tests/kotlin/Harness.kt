// The Kotlin test runner: every suite's tests run, each failure is reported, and the run ends
// with "kotlin: N passed, M failed" and a non-zero exit code when anything failed.
package gridpatrol.tests

import java.io.File
import java.nio.file.Files
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

/** A test body is a coroutine: the slow calls of the API are `suspend`, as on Android. */
class TestCase(val name: String, val body: suspend () -> Unit)

fun test(name: String, body: suspend () -> Unit) = TestCase(name, body)

/** A fresh directory for one test's data, under the script's scratch folder. */
fun freshDataDir(prefix: String): String {
    val root = File(System.getenv("GRIDPATROL_TEST_TMP") ?: System.getProperty("java.io.tmpdir"))
    root.mkdirs()
    return Files.createTempDirectory(root.toPath(), prefix).toString()
}

val suites: List<Pair<String, List<TestCase>>> = listOf(
    "walking skeleton" to walkingSkeletonTests,
    "event list" to eventListTests,
    "capture" to captureTests,
    "sync" to syncTests,
    "lifecycle" to lifecycleTests,
    "mobile api" to mobileApiTests,
    "cancel" to cancelTests,
    "storage errors" to storageErrorTests,
    "patrol" to patrolTests,
    "log sink" to logSinkTests,
    "claims" to claimTests,
    "key store" to keyStoreTests,
)

fun main(args: Array<String>) {
    val filter = args.firstOrNull()
    var passed = 0
    var failed = 0
    for ((suite, tests) in suites) {
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
    println("kotlin: $passed passed, $failed failed")
    if (failed > 0 || passed == 0) exitProcess(1)
}
