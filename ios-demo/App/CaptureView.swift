import GridPatrolCore
import SwiftUI

/// Search → problem → photo → fix → description → findings → submit.
struct CaptureView: View {
    @EnvironmentObject var model: AppModel
    @State private var query = ""
    @State private var description = ""

    var body: some View {
        Form {
            Section("事件") {
                TextField("什么问题？（如：消防通道）", text: $query)
                    .onChange(of: query) { q in Task { await model.search(q) } }
                ForEach(model.hits, id: \.code) { hit in
                    Button("\(hit.code) \(hit.nameZh)") {
                        Task { await model.pick(subtype: hit.code, problem: hit.matchedProblems.first?.code) }
                    }
                }
                Text("已选：\(model.draft?.subtype ?? "—") / \(model.draft?.problem ?? "—")")
            }
            Section("现场") {
                Button("拍照（\(model.draft?.content.photos.count ?? 0)）") { Task { await model.takePhoto() } }
                Button(model.draft?.content.fix == nil ? "使用当前位置" : "定位 ±\(Int(model.draft?.content.fix?.accuracyM ?? 0)) 米") {
                    Task { await model.useCurrentFix() }
                }
                TextField("描述", text: $description)
                    .onSubmit { Task { await model.describe(description) } }
            }
            if let findings = model.findings {
                Section("检查") {
                    ForEach(findings.errors, id: \.code) { Text("⛔ \($0.messageZh)") }
                    ForEach(findings.warnings, id: \.code) { warning in
                        Toggle("⚠ \(warning.messageZh)", isOn: Binding(
                            get: { model.acknowledged.contains(warning.code) },
                            set: { on in if on { model.acknowledged.insert(warning.code) } else { model.acknowledged.remove(warning.code) } }
                        ))
                    }
                }
            }
            if let message = model.message { Text(message).foregroundStyle(.red) }
            Button("提交") { Task { await model.submit() } }
                .disabled(!(model.findings?.errors.isEmpty ?? false))
        }
        .onAppear { model.location.requestPermission(); model.location.startForCapture() }
    }
}
