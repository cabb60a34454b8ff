import SwiftUI

/// Start and end a patrol; CoreLocation keeps delivering fixes with the screen locked.
struct PatrolView: View {
    @EnvironmentObject var model: AppModel

    var body: some View {
        VStack(spacing: 16) {
            if model.patrolActive {
                Button("结束巡查") { model.stopPatrol() }
            } else {
                Button("开始巡查") { model.startPatrol() }
            }
        }
    }
}
