// The child process of the process-death test (CaptureTests.kt): half a capture through the
// screen's state holder, "READY" on stdout, then it waits to be killed with SIGKILL.
package cn.gridpatrol.app

import kotlinx.coroutines.runBlocking

/** The child of the process-death test: half a capture, then "READY", then waits to be killed. */
fun main(args: Array<String>) = runBlocking {
    val rig = CaptureRig.open(args[0])
    rig.capture.resume().join()
    rig.capture.pick("03-001", "03-001-01").join()
    rig.capture.takePhoto().join()
    rig.capture.setDescription("半路被杀掉的上报").join()
    check(rig.capture.state.value.message == null) { "child capture failed: ${rig.capture.state.value.message}" }
    println("READY")
    System.out.flush()
    Thread.sleep(60_000)
}
