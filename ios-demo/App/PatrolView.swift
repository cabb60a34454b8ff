import GridPatrolCore
import SwiftUI

/// Start and end a patrol, and the figures the supervisor will see. CoreLocation keeps
/// delivering fixes with the screen locked (background location during a patrol).
struct PatrolView: View {
    @EnvironmentObject var model: AppModel
    @Environment(\.scenePhase) private var phase

    var body: some View {
        List {
            if model.patrolActive {
                Button("结束巡查") { Task { await model.stopPatrol() } }
            } else {
                Button("开始巡查") { Task { await model.startPatrol() } }
            }
            if let s = model.patrolSummary {
                Text("已走 \(String(format: "%.2f", s.distanceM / 1000)) 公里")
                Text("行走 \(Int(s.moving / 60)) 分钟 · 停留 \(Int(s.stopped / 60)) 分钟")
                Text("中断 \(s.gaps.count) 次（\(Int(s.gapTotal / 60)) 分钟）")
                ForEach(s.coverage, id: \.gridId) { grid in
                    if let share = grid.share { Text("网格 \(grid.gridId) 覆盖 \(Int(share * 100))%") }
                }
                Text("有效定位 \(s.counts.kept) · 上报 \(s.linkedReports.count)")
            }
        }
        .onChange(of: phase) { newPhase in
            if newPhase == .background { Task { await model.flushPatrol() } }
        }
    }
}
