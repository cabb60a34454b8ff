import GridPatrolCore
import SwiftUI

/// What waits, what was parked and why, and the last success.
struct OutboxView: View {
    @EnvironmentObject var model: AppModel

    var body: some View {
        List {
            if let health = model.health {
                Text("待发送 \(health.pending) · 已送达 \(health.delivered) · 被退回 \(health.parked.count)")
                if let last = health.lastSuccessAtMs {
                    Text("上次发送：\(Date(timeIntervalSince1970: TimeInterval(last) / 1000).formatted())")
                }
                ForEach(health.parked, id: \.reportId) { parked in
                    Text("\(parked.reportId.suffix(8))：\(parked.code)（\(parked.reason)）")
                }
            }
            Button("立即发送") { Task { await model.syncNow() } }
        }
    }
}
