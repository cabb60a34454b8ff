import Foundation
import GridPatrolCore
import GridPatrolKit

/// A data key the Keychain lost, as the worker is told: how many reports had not been delivered
/// when last counted (nil: never counted) and where the core kept the old files. A fresh, empty
/// store is open meanwhile; nothing was deleted.
struct DataKeyLoss: Equatable {
    let unsentReports: UInt32?
    let keptAside: String

    var message: String {
        let lost: String
        switch unsentReports {
        case nil: lost = "未发送的上报数量未知，可能有上报无法再发送"
        case 0?: lost = "没有未发送的上报丢失（未完成的草稿已无法打开）"
        case let n?: lost = "有 \(n) 条未发送的上报无法再从本机发送"
        }
        return "本机数据的密钥已丢失：\(lost)。旧文件已原样保留在本机，没有删除；请联系管理员。现在可以继续新的上报。"
    }
}

/// The app's one core (one per data directory: the bindings return the same instance for the
/// same directory) and the state the screens show. Every core call is `async` or runs in a
/// detached task, never on the main actor; state is published back on the main actor. Nothing
/// lives only here: drafts, the outbox and patrols are in the store, so a relaunch shows the same.
@MainActor
final class AppModel: ObservableObject {
    static let platformURL = "http://127.0.0.1:8080"
    /// `sha256/<base64>` SPKI pins of the platform's key and a backup key; empty for the local
    /// demo platform (plain HTTP). A city build sets its own: a certificate holding neither
    /// stops sending with `TlsPinMismatch`, and nothing is lost.
    static let platformPins: [String] = []

    @Published var draft: Draft?
    @Published var hits: [SearchHit] = []
    @Published var findings: ValidationReport?
    @Published var acknowledged: Set<String> = []
    @Published var health: QueueHealth?
    @Published var message: String?
    /// Set when this launch found the data key lost; shown until the worker acknowledges it.
    @Published var keyLoss: DataKeyLoss?
    @Published var patrolActive = false
    @Published var patrolSummary: PatrolSummary?
    private var patrolId: String?

    let reporter = Reporter(reporterId: "insp-demo-01", role: .inspector, gridIds: [])
    private(set) var core: GridPatrol?
    lazy var location = LocationService { [weak self] fix in
        Task { @MainActor in self?.onFix(fix) }
    }
    let camera = CameraCapture()

    /// Application Support/gridpatrol: backed up by neither iCloud nor iTunes (excluded at open).
    nonisolated static func dataDirectory() throws -> String {
        var url = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent("gridpatrol", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try url.setResourceValues(values)
        return url.path
    }

    func start() async {
        do {
            guard let core = await CoreHolder.shared.core() else {
                message = Self.openFailure(await CoreHolder.shared.openError)
                return
            }
            self.core = core
            keyLoss = await CoreHolder.shared.takeKeyLoss()
            OSLogSink.install()
            let trust = Self.platformPins.isEmpty ? nil : TlsTrust(spkiPins: Self.platformPins, caPem: nil)
            try await core.configureSync(platformUrl: Self.platformURL, tls: trust)
            Task { for await h in queueHealthUpdates(core) { self.health = h } }
            try await resumeDraft()
            await resumePatrol()
        } catch {
            message = "\(error)"
        }
    }

    func acknowledgeKeyLoss() {
        keyLoss = nil
    }

    /// Why the core did not open, for the worker.
    nonisolated static func openFailure(_ error: Error?) -> String {
        switch error as? GridPatrolError {
        case .KeyStoreUnavailable?: return "钥匙串暂时不可用，请解锁手机后重新打开应用，数据没有丢失"
        case .WrongDataKey?: return "钥匙串给出的密钥与本机数据不符，数据未做任何改动，请联系管理员"
        case .DataDirectoryInUse?: return "应用数据正被另一个进程使用"
        default: return "无法打开应用数据"
        }
    }

    /// The newest unfinished draft of this worker, or a new one.
    func resumeDraft() async throws {
        guard let core else { return }
        let mine = try await Task.detached { try core.drafts() }.value
            .filter { $0.content.reporter.reporterId == self.reporter.reporterId }
            .max { $0.updatedAtMs < $1.updatedAtMs }
        if let mine {
            draft = mine
        } else {
            draft = try await core.createDraft(reporter: reporter, capturedAtMs: nil)
        }
        try await validate()
    }

    func search(_ query: String) async {
        guard let core else { return }
        hits = (try? await Task.detached { try core.searchEventList(query: query, role: .inspector, limit: 20) }.value) ?? []
    }

    func pick(subtype: String, problem: String?) async {
        await edit { core, id in try await core.setEvent(draftId: id, subtype: subtype, problem: problem) }
    }

    func takePhoto() async {
        guard let core, let id = draft?.id else { return }
        do {
            let jpeg = try await camera.takeJpeg()
            _ = try await core.addPhoto(draftId: id, image: jpeg, kind: .evidence)
            draft = try await Task.detached { try core.draft(draftId: id) }.value
            try await validate()
        } catch {
            message = "\(error)"
        }
    }

    func describe(_ text: String) async {
        await edit { core, id in try await core.setDescription(draftId: id, text: text) }
    }

    func useCurrentFix() async {
        guard let fix = location.lastFix else { message = "waiting for location"; return }
        await edit { core, id in try await core.setLocation(draftId: id, fix: fix) }
    }

    func submit() async {
        guard let core, let id = draft?.id else { return }
        do {
            let response = WarningResponse(acknowledged: Array(acknowledged), overrideReason: nil)
            switch try await core.submit(draftId: id, response: response) {
            case .submitted:
                acknowledged = []
                draft = try await core.createDraft(reporter: reporter, capturedAtMs: nil)
                try await validate()
                Task { await syncNow() }
            case .rejected(let report):
                findings = report
            }
        } catch {
            message = "\(error)"
        }
    }

    func syncNow() async {
        guard let core else { return }
        do {
            if !core.isEnrolled() {
                _ = try await core.enroll(enrollmentCode: "DEMO", deviceName: "iOS demo")
            }
            _ = try await core.syncNow(deadline: 60)
        } catch {
            message = "\(error)"
        }
    }

    /// An open patrol left by a previous run of the app (killed, or the phone restarted) goes on.
    func resumePatrol() async {
        guard let core, let open = try? core.openPatrol() else { return }
        patrolId = open.id
        patrolActive = true
        location.startForPatrol()
        patrolSummary = try? await core.patrolSummary(patrolId: open.id)
    }

    func startPatrol() async {
        guard let core else { return }
        do {
            let patrol = try await core.startPatrol(reporter: reporter, mode: .walking, expectedInterval: 5)
            patrolId = patrol.id
            patrolActive = true
            location.startForPatrol()
        } catch {
            message = "\(error)"
        }
    }

    func stopPatrol() async {
        guard let core, let id = patrolId else { return }
        location.stop()
        do {
            _ = try await core.stopPatrol(patrolId: id)
            patrolSummary = try await core.patrolSummary(patrolId: id)
            patrolActive = false
        } catch {
            message = "\(error)"
        }
    }

    /// The app goes to the background: buffered fixes are committed now.
    func flushPatrol() async {
        guard let core else { return }
        try? await core.flushPatrol()
    }

    private var fixesSinceSummary = 0

    private func onFix(_ fix: LocationFix) {
        guard let core, let id = patrolId, patrolActive else { return }
        Task {
            // A fix the core refuses (bad values from the provider) changes nothing.
            _ = try? await core.patrolFix(patrolId: id, fix: fix)
            fixesSinceSummary += 1
            if fixesSinceSummary >= 10 {
                fixesSinceSummary = 0
                patrolSummary = try? await core.patrolSummary(patrolId: id)
            }
        }
    }

    private func edit(_ change: @escaping (GridPatrol, String) async throws -> Draft) async {
        guard let core, let id = draft?.id else { return }
        do {
            draft = try await change(core, id)
            try await validate()
        } catch {
            message = "\(error)"
        }
    }

    private func validate() async throws {
        guard let core, let id = draft?.id else { return }
        findings = try await Task.detached { try core.validateDraft(draftId: id) }.value
    }
}
