package cn.gridpatrol.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.gridpatrol.app.OutboxController
import cn.gridpatrol.app.SyncResult
import cn.gridpatrol.demo.R
import java.text.DateFormat
import java.util.Date

/** What waits, what was parked and why, the last success, and the run in progress. */
@Composable
fun OutboxScreen(outbox: OutboxController, modifier: Modifier) {
    val state by outbox.state.collectAsStateWithLifecycle()
    Column(modifier, verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(stringResource(R.string.outbox_counts, state.pending, state.delivered, state.parked.size))
        Text(
            stringResource(
                R.string.last_success,
                state.lastSuccessAtMs?.let { DateFormat.getDateTimeInstance().format(Date(it)) } ?: "—",
            ),
        )
        state.progress?.let { p ->
            if (p.bytesTotal > 0) LinearProgressIndicator(progress = { p.bytesSent.toFloat() / p.bytesTotal })
        }
        when (val r = state.lastRun) {
            is SyncResult.Failed -> Text(r.message.zh)
            SyncResult.Offline -> Text(stringResource(R.string.offline))
            SyncResult.NotEnrolled -> Text(stringResource(R.string.not_enrolled))
            else -> {}
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { outbox.sendNow() }) { Text(stringResource(R.string.send_now)) }
            Button(onClick = { outbox.cancel() }, enabled = state.progress != null) { Text(stringResource(R.string.cancel)) }
        }
        state.parked.forEach { Text("${it.reportId.takeLast(8)}: ${it.code} (${it.reason})") }
    }
}
