package cn.gridpatrol.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.material3.Button
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.gridpatrol.app.PatrolController
import cn.gridpatrol.app.refused
import cn.gridpatrol.demo.R

/** Start/stop, and the figures the supervisor will see: distance, moving time, gaps, coverage. */
@Composable
fun PatrolScreen(patrol: PatrolController, modifier: Modifier, onStart: () -> Unit, onStop: () -> Unit) {
    val state by patrol.state.collectAsStateWithLifecycle()
    Column(modifier, verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (state.active) {
            Button(onClick = onStop, enabled = !state.busy) { Text(stringResource(R.string.patrol_stop)) }
        } else {
            Button(onClick = onStart, enabled = !state.busy) { Text(stringResource(R.string.patrol_start)) }
        }
        state.summary?.let { s ->
            Text(stringResource(R.string.patrol_distance, s.distanceM / 1000.0))
            Text(stringResource(R.string.patrol_moving, s.moving.toMinutes(), s.stopped.toMinutes()))
            Text(stringResource(R.string.patrol_gaps, s.gaps.size, s.gapTotal.toMinutes()))
            s.coverage.forEach { grid -> grid.share?.let { Text(stringResource(R.string.patrol_coverage, grid.gridId, it * 100)) } }
            Text(stringResource(R.string.patrol_fixes, s.counts.kept.toLong(), s.counts.refused, s.linkedReports.size))
        }
        state.message?.let { Text(it.zh) }
    }
}
