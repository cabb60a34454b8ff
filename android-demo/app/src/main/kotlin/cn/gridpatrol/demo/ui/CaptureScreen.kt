package cn.gridpatrol.demo.ui

import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageCapture
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.ListItem
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalLifecycleOwner
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.gridpatrol.app.CaptureController
import cn.gridpatrol.app.FixQuality
import cn.gridpatrol.app.LocationSource
import cn.gridpatrol.app.text
import cn.gridpatrol.demo.R

/** Search → problem → photo → fix → description → findings → submit. State: [CaptureController]. */
@Composable
fun CaptureScreen(capture: CaptureController, imageCapture: ImageCapture, location: LocationSource, modifier: Modifier) {
    val state by capture.state.collectAsStateWithLifecycle()
    var query by remember { mutableStateOf(state.query) }
    // Keep the location provider running while the capture screen is shown.
    LaunchedEffect(Unit) { location.fixes().collect { } }

    Column(modifier.fillMaxWidth(), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        CameraPreview(imageCapture)
        OutlinedTextField(
            value = query,
            onValueChange = { query = it; capture.search(it) },
            label = { Text(stringResource(R.string.search_hint)) },
            modifier = Modifier.fillMaxWidth(),
        )
        LazyColumn(Modifier.height(160.dp)) {
            items(state.hits) { hit ->
                val problems = hit.matchedProblems.ifEmpty { null }
                ListItem(
                    headlineContent = { Text("${hit.code} ${hit.nameZh}") },
                    supportingContent = { problems?.let { Text(it.joinToString("、") { p -> p.nameZh }) } },
                    modifier = Modifier.fillMaxWidth(),
                    trailingContent = {
                        Button(onClick = { capture.pick(hit.code, problems?.first()?.code) }) { Text(stringResource(R.string.pick)) }
                    },
                )
            }
        }
        Text(stringResource(R.string.chosen, state.subtypeCode ?: "—", state.problemCode ?: "—"))
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { capture.takePhoto() }, enabled = !state.busy) {
                Text(stringResource(R.string.take_photo, state.photos.size))
            }
            Button(onClick = { capture.useCurrentFix() }, enabled = !state.busy) {
                Text(
                    stringResource(
                        when (state.fixQuality) {
                            FixQuality.GOOD -> R.string.fix_good
                            FixQuality.POOR -> R.string.fix_poor
                            FixQuality.NONE -> R.string.fix_none
                        },
                    ),
                )
            }
        }
        OutlinedTextField(
            value = state.description,
            onValueChange = { capture.setDescription(it) },
            label = { Text(stringResource(R.string.description)) },
            modifier = Modifier.fillMaxWidth(),
        )
        state.findings?.errors?.forEach { Text("⛔ " + it.text(state.language)) }
        state.findings?.warnings?.forEach { finding ->
            Row {
                Checkbox(
                    checked = finding.code in state.acknowledged,
                    onCheckedChange = { if (it) capture.acknowledge(finding.code) },
                )
                Text("⚠ " + finding.text(state.language))
            }
        }
        state.message?.let { Text(it.text(state.language)) }
        Button(onClick = { capture.submit() }, enabled = state.canSubmit && state.unansweredWarnings.isEmpty()) {
            Text(stringResource(R.string.submit))
        }
    }
}

@Composable
private fun CameraPreview(imageCapture: ImageCapture) {
    val context = LocalContext.current
    val owner = LocalLifecycleOwner.current
    val view = remember { PreviewView(context) }
    DisposableEffect(owner) {
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            val provider = future.get()
            val preview = Preview.Builder().build().also { it.surfaceProvider = view.surfaceProvider }
            provider.unbindAll()
            provider.bindToLifecycle(owner, CameraSelector.DEFAULT_BACK_CAMERA, preview, imageCapture)
        }, ContextCompat.getMainExecutor(context))
        onDispose { runCatching { future.get().unbindAll() } }
    }
    AndroidView({ view }, Modifier.fillMaxWidth().height(200.dp))
}
