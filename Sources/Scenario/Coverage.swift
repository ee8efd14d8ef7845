import Events
import Kernel

/// How much of the driver a run exercised: the entry points the driver made
/// available, which of them were run and which completed (returned to their
/// caller), and for each one that did not, why. A verdict is worth only what
/// the run behind it exercised, so every report carries this.
public struct Coverage: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Ran and returned to its caller (whatever status it returned).
        case completed
        /// Ran and was stopped (a bug check, a limit, an emulator fault).
        case stopped
        /// Made available by the driver but not run; `reason` says why.
        case notRun = "not-run"
    }

    public struct Entry: Sendable, Equatable {
        public var name: String
        public var state: State
        /// Why it did not complete (nil when it completed).
        public var reason: String?
    }

    public var entries: [Entry] = []
    /// Calls to kernel functions the model does not implement (served by the logged fallback).
    public var unmodeledCalls = 0
    /// Calls answered by a stub: a handler that ignores its arguments (ExportTable: `.stub`).
    public var stubCalls = 0

    public var found: Int { entries.count }
    public var run: Int { entries.filter { $0.state != .notRun }.count }
    public var completed: Int { entries.filter { $0.state == .completed }.count }
}

/// IRP_MJ_* names by major function code (wdm.h).
public enum MajorFunctionName {
    static let names = [
        "IRP_MJ_CREATE", "IRP_MJ_CREATE_NAMED_PIPE", "IRP_MJ_CLOSE", "IRP_MJ_READ", "IRP_MJ_WRITE",
        "IRP_MJ_QUERY_INFORMATION", "IRP_MJ_SET_INFORMATION", "IRP_MJ_QUERY_EA", "IRP_MJ_SET_EA",
        "IRP_MJ_FLUSH_BUFFERS", "IRP_MJ_QUERY_VOLUME_INFORMATION", "IRP_MJ_SET_VOLUME_INFORMATION",
        "IRP_MJ_DIRECTORY_CONTROL", "IRP_MJ_FILE_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CONTROL",
        "IRP_MJ_INTERNAL_DEVICE_CONTROL", "IRP_MJ_SHUTDOWN", "IRP_MJ_LOCK_CONTROL", "IRP_MJ_CLEANUP",
        "IRP_MJ_CREATE_MAILSLOT", "IRP_MJ_QUERY_SECURITY", "IRP_MJ_SET_SECURITY", "IRP_MJ_POWER",
        "IRP_MJ_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CHANGE", "IRP_MJ_QUERY_QUOTA", "IRP_MJ_SET_QUOTA", "IRP_MJ_PNP",
    ]

    public static func name(_ major: Int) -> String {
        names.indices.contains(major) ? names[major] : "IRP_MJ_0x" + String(major, radix: 16)
    }
}

extension Coverage {
    /// Coverage of a run: every entry point run (by its result), then the dispatch routines,
    /// AddDevice and DriverUnload the driver set but the run never called. `available` lists
    /// those (names as EntryPaths names its runs: "IRP_MJ_READ", "AddDevice", …) with the
    /// reason they were not run, for the ones no result matches.
    public init(results: [EntryPointResult], available: [(name: String, whyNotRun: String)], unmodeledCalls: Int) {
        var entries = results.map { result -> Entry in
            switch result.outcome {
            case .returned: return Entry(name: result.name, state: .completed, reason: nil)
            default: return Entry(name: result.name, state: .stopped, reason: result.outcome.summary)
            }
        }
        for (name, why) in available where !results.contains(where: { $0.name == name || $0.name.hasPrefix(name + " ") }) {
            entries.append(Entry(name: name, state: .notRun, reason: why))
        }
        self.entries = entries
        self.unmodeledCalls = unmodeledCalls
    }
}
