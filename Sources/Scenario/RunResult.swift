import Memory
import Events
import Kernel

/// How an entry point ended.
public enum Outcome: Sendable, Equatable {
    /// It returned to its caller; RAX is the NTSTATUS (or the routine's value).
    case returned(UInt64)
    /// A bug check: KeBugCheckEx by the driver, a fault Windows turns into one, or
    /// (enforce mode) the violation HVCI or Driver Verifier stops at.
    case bugCheck(code: UInt32, parameters: [UInt64])
    case instructionLimit(Int)
    case timeout(Double)
    case kernelCallLimit(Int)
    case unsatisfiableWait(String)
    /// The emulator could not go on (an instruction it cannot execute, an internal error).
    case emulationError(String)

    /// Stable word for reports and scripts.
    public var kind: String {
        switch self {
        case .returned: return "returned"
        case .bugCheck: return "bug-check"
        case .instructionLimit: return "instruction-limit"
        case .timeout: return "timeout"
        case .kernelCallLimit: return "kernel-call-limit"
        case .unsatisfiableWait: return "unsatisfiable-wait"
        case .emulationError: return "emulation-error"
        }
    }
}

/// One entry point's run: outcome, counts, kernel calls and events.
public struct EntryPointResult: Sendable {
    public var name: String
    public var address: UInt64
    public var outcome: Outcome
    /// Instructions executed (nil when counting was off).
    public var instructions: Int?
    public var kernelCalls: Int
    public var calls: [KernelCallRecord]
    /// Violations and DV findings raised while it ran, in order.
    public var findings: [Finding]
    /// What the entry point was given and left behind (IOCTL code, IoStatus, …).
    public var notes: [String] = []

    /// The NTSTATUS it returned, if it returned.
    public var status: UInt32? {
        if case .returned(let value) = outcome { return UInt32(truncatingIfNeeded: value) }
        return nil
    }
}

/// One run of a driver (one HVCI setting).
public struct RunResult: Sendable {
    public var hvci: Bool
    public var enforcement: Enforcement
    /// nil when the image loaded; otherwise why not (e.g. CI refused it under HVCI).
    public var loadFailure: String?
    public var imageBase: UInt64?
    public var entryPoints: [EntryPointResult]
    public var debugOutput: [String]
    /// Unmodeled imports called, by name, with counts.
    public var fallbacks: [String: Int]
    /// Calls answered by a handler registered as a stub (qualified name → count).
    public var stubCalls: [String: Int] = [:]

    /// Every run-time finding of every entry point.
    public var findings: [Finding] { entryPoints.flatMap(\.findings) }
}
