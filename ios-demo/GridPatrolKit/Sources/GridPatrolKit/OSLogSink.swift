import GridPatrolCore
import os

/// The core's logs in the unified log (Console.app, `log stream --subsystem cn.gridpatrol`), one
/// category per core module. The core logs ids, codes and counts, never personal data, so the
/// messages are marked public.
public final class OSLogSink: LogSink {
    private let subsystem: String

    public init(subsystem: String = "cn.gridpatrol") {
        self.subsystem = subsystem
    }

    public func log(record: LogRecord) {
        let logger = Logger(subsystem: subsystem, category: record.target)
        logger.log(level: Self.osLevel(record.level), "\(record.message, privacy: .public)")
    }

    public static func osLevel(_ level: LogLevel) -> OSLogType {
        switch level {
        case .error: return .error
        case .warn: return .default
        case .info: return .info
        case .debug, .trace: return .debug
        }
    }

    /// Installs the sink for the whole process (once, at launch).
    public static func install(maxLevel: LogLevel = .info) {
        installLogSink(sink: OSLogSink(), maxLevel: maxLevel)
    }
}
