package cn.gridpatrol.demo

import android.Manifest
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import android.os.PowerManager
import android.provider.Settings
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.lifecycleScope
import cn.gridpatrol.app.CaptureController
import cn.gridpatrol.app.Language
import cn.gridpatrol.app.OutboxController
import cn.gridpatrol.demo.camera.CameraXCamera
import cn.gridpatrol.demo.location.PatrolLocationService
import cn.gridpatrol.demo.ui.CaptureScreen
import cn.gridpatrol.demo.ui.OutboxScreen
import cn.gridpatrol.demo.ui.PatrolScreen
import kotlinx.coroutines.launch

/**
 * Three tabs over the app layer's state holders: capture, outbox, patrol. The holders live in the
 * activity's lifecycle scope; they hold nothing the core does not, so a recreated activity (or a
 * new process) shows the same screens from the store.
 */
class MainActivity : ComponentActivity() {
    private val permissions = registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) {}

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        permissions.launch(
            arrayOf(Manifest.permission.CAMERA, Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.POST_NOTIFICATIONS),
        )
        val app = application as GridPatrolApplication
        val imageCapture = CameraXCamera.useCase()
        val location = app.location
        lifecycleScope.launch {
            val core = app.core.await()
            val sync = app.sync.await()
            val capture = CaptureController(
                core, lifecycleScope, app.reporter, CameraXCamera(this@MainActivity, imageCapture),
                location, { System.currentTimeMillis() }, app.scheduler,
            ).also { it.resume() }
            val outbox = OutboxController(core, lifecycleScope, sync).also { it.start() }
            val patrol = app.patrol.await()
            val language = if (resources.configuration.locales[0].language == "zh") Language.ZH else Language.EN
            setContent {
                MaterialTheme {
                    // A lost data key: the core kept the old files aside and a fresh store is
                    // open. The worker is told what was lost before anything else.
                    val keyLoss by core.keyLoss.collectAsStateWithLifecycle()
                    keyLoss?.let { loss ->
                        AlertDialog(
                            onDismissRequest = {},
                            title = { Text(stringResource(R.string.key_lost_title)) },
                            text = { Text(loss.message.text(language)) },
                            confirmButton = {
                                TextButton(onClick = { core.acknowledgeKeyLoss() }) { Text(stringResource(R.string.key_lost_ok)) }
                            },
                        )
                    }
                    var tab by remember { mutableStateOf(0) }
                    Scaffold(bottomBar = {
                        NavigationBar {
                            listOf(R.string.tab_capture, R.string.tab_outbox, R.string.tab_patrol).forEachIndexed { i, label ->
                                NavigationBarItem(selected = tab == i, onClick = { tab = i }, icon = {}, label = { Text(stringResource(label)) })
                            }
                        }
                    }) { padding ->
                        val modifier = Modifier.padding(padding)
                        when (tab) {
                            0 -> CaptureScreen(capture, imageCapture, location, modifier)
                            1 -> OutboxScreen(outbox, modifier)
                            else -> PatrolScreen(
                                patrol, modifier,
                                onStart = { askBatteryExemption(); PatrolLocationService.start(this@MainActivity) },
                                onStop = { PatrolLocationService.stop(this@MainActivity) },
                            )
                        }
                    }
                }
            }
        }
    }

    /**
     * A patrol records for hours with the screen off: Doze and vendor battery savers stop GPS
     * loggers an hour in. Asking for the exemption once, at the first patrol, is what field apps
     * that must keep recording do (policy allows it for this use).
     */
    private fun askBatteryExemption() {
        val power = getSystemService(PowerManager::class.java)
        if (!power.isIgnoringBatteryOptimizations(packageName)) {
            startActivity(Intent(Settings.ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS, Uri.parse("package:$packageName")))
        }
    }

    override fun onStop() {
        super.onStop()
        // Going to the background: buffered patrol fixes are committed now.
        val app = application as GridPatrolApplication
        app.appScope.launch { app.patrol.await().onBackground() }
    }
}
