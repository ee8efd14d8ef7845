import Memory
import Events
import Kernel
import PEImage

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
    /// The routine kept looping and was ended after a virtual-time budget (docs/virtual-time.md);
    /// why. On Windows it would go on running in the background.
    case parked(String)
    /// The emulator could not go on (an instruction it cannot execute, an internal error).
    case emulationError(String)
    /// The tool's own process running the emulator died (an abort inside the emulator, a
    /// trap in the model, memory exhausted, no progress): the isolation layer reports it.
    case toolFault(String)

    /// Stable word for reports and scripts.
    public var kind: String {
        switch self {
        case .returned: return "returned"
        case .bugCheck: return "bug-check"
        case .instructionLimit: return "instruction-limit"
        case .timeout: return "timeout"
        case .kernelCallLimit: return "kernel-call-limit"
        case .unsatisfiableWait: return "unsatisfiable-wait"
        case .parked: return "parked"
        case .emulationError: return "emulation-error"
        case .toolFault: return "tool-fault"
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

    public init(name: String, address: UInt64, outcome: Outcome, instructions: Int?, kernelCalls: Int,
                calls: [KernelCallRecord], findings: [Finding], notes: [String] = []) {
        self.name = name
        self.address = address
        self.outcome = outcome
        self.instructions = instructions
        self.kernelCalls = kernelCalls
        self.calls = calls
        self.findings = findings
        self.notes = notes
    }

    /// The NTSTATUS it returned, if it returned.
    public var status: UInt32? {
        if case .returned(let value) = outcome { return UInt32(truncatingIfNeeded: value) }
        return nil
    }
}

/// An encoding a CPU rejects with #UD but QEMU aborts on, replaced by `ud2` (0F 0B) before the
/// code could run, so that it raises #UD at its own address (docs/cpu-behaviour.md).
public struct CodePatch: Sendable, Equatable {
    public var address: UInt64
    /// `drv.sys!.text+0x1a2 (DriverEntry+0x32)`.
    public var symbol: String
    /// `far-branch-register-operand`, `locked-compare`.
    public var kind: String
    public var title: String
    /// The instruction's bytes in the image.
    public var original: [UInt8]

    public init(address: UInt64, symbol: String, kind: String, title: String, original: [UInt8]) {
        self.address = address
        self.symbol = symbol
        self.kind = kind
        self.title = title
        self.original = original
    }
}

/// Why an image was not loaded, by kind: the verdict treats a Code Integrity
/// refusal (what Windows does under HVCI) apart from what only the tool lacks.
public enum LoadFailureKind: String, Sendable {
    /// Code Integrity refused it: under HVCI, Windows does not load it either.
    case codeIntegrity = "code-integrity"
    /// Driver Verifier's code-integrity option stopped the load with bug check 0xC4/0x2003–0x2005
    /// (enforce mode, HVCI off: with HVCI on Code Integrity refuses the image first).
    case driverVerifier = "driver-verifier"
    /// Windows' loader refuses it whatever the configuration (relocations stripped and a
    /// user-half base, a bad relocation): not an HVCI answer, so the verdict cannot rest on it.
    case windowsLoader = "windows-loader"
    /// Not an x64 image: the emulator does not execute it (static checks only).
    case unsupportedMachine = "unsupported-machine"
    /// The tool could not place or map it (a limit or an unusual image).
    case tool
}

/// One run of a driver (one HVCI setting).
public struct RunResult: Sendable {
    public var hvci: Bool
    /// Driver Verifier's code-integrity option was on.
    public var verifier: Bool = true
    public var enforcement: Enforcement
    /// nil when the image loaded; otherwise why not (e.g. CI refused it under HVCI).
    public var loadFailure: String?
    public var loadFailureKind: LoadFailureKind?
    /// The NTSTATUS ZwLoadDriver returns when Windows itself refuses the image (docs/load-rules.md).
    public var loadStatus: UInt32?
    public var imageBase: UInt64?
    /// Findings made while the image was loaded, before any entry point (Driver Verifier's
    /// 0x2003–0x2005 on an image that loads with HVCI off).
    public var loadFindings: [Finding] = []
    public var entryPoints: [EntryPointResult]
    public var debugOutput: [String]
    /// Unmodeled imports called, by name, with counts.
    public var fallbacks: [String: Int]
    /// Calls answered by a handler registered as a stub (qualified name → count).
    public var stubCalls: [String: Int] = [:]
    /// What the run exercised (entry points found, run, completed, and why not).
    public var coverage = Coverage()
    /// Instructions the loader replaced by `ud2` because QEMU cannot translate them (docs/cpu-behaviour.md).
    public var codePatches: [CodePatch] = []
    /// The driver's address space when the run ended (nil when the image did not load), for the
    /// HTML report's page map.
    public var pageMap: PageMap?

    public init(hvci: Bool, verifier: Bool = true, enforcement: Enforcement, loadFailure: String?, imageBase: UInt64?,
                entryPoints: [EntryPointResult], debugOutput: [String], fallbacks: [String: Int]) {
        self.hvci = hvci
        self.verifier = verifier
        self.enforcement = enforcement
        self.loadFailure = loadFailure
        self.imageBase = imageBase
        self.entryPoints = entryPoints
        self.debugOutput = debugOutput
        self.fallbacks = fallbacks
    }

    /// Every run-time finding of every entry point.
    public var findings: [Finding] { loadFindings + entryPoints.flatMap(\.findings) }
}

extension Outcome {
    /// "returned STATUS_SUCCESS", "bug check 0xfc ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY (…)", "stopped: instruction limit (…)".
    public var summary: String {
        switch self {
        case .returned(let value): return "returned \(NTStatus.name(UInt32(truncatingIfNeeded: value)))"
        case let .bugCheck(code, parameters):
            return "bug check \(BugCheck.describe(code)) (\(parameters.map { hex($0) }.joined(separator: ", ")))"
        case .instructionLimit(let n): return "stopped: instruction limit (\(n))"
        case .timeout(let s): return "stopped: timeout (\(s) s)"
        case .kernelCallLimit(let n): return "stopped: kernel-call limit (\(n))"
        case .unsatisfiableWait(let what): return "stopped: wait that can never be satisfied (\(what))"
        case .parked(let why): return "parked: \(why)"
        case .emulationError(let text): return "emulation error: \(text)"
        case .toolFault(let text): return "tool fault: \(text)"
        }
    }
}

extension RunResult {
    /// Why this run cannot decide the verdict, or nil when it can (DESIGN.md §2.5, docs/verdicts.md):
    /// the image was not run for a reason of the tool's, or DriverEntry did not return for a
    /// reason that is not an HVCI or Driver Verifier finding — a limit, an emulator fault, a
    /// wait the model cannot satisfy, a crash (the driver's own, or after a call the model does
    /// not implement), or a failure status right after such a call.
    public var inconclusiveReason: String? {
        if let kind = loadFailureKind {
            switch kind {
            case .codeIntegrity, .driverVerifier: return nil
            case .unsupportedMachine: return "not run: \(loadFailure ?? "the image's machine cannot be executed")"
            case .tool: return "not run: \(loadFailure ?? "the image could not be loaded")"
            case .windowsLoader: return "not run: Windows does not load this image in any configuration (\(loadFailure ?? "refused"))"
            }
        }
        guard let entry = entryPoints.first(where: { $0.name == "DriverEntry" }) else {
            return "not run: DriverEntry was never called" + (loadFailure.map { " (\($0))" } ?? "")
        }
        let gaps = Array(Set(entry.calls.filter { !$0.modeled || $0.stub }.map(\.function))).sorted()
        let afterGaps = gaps.isEmpty ? ""
            : " after calling \(gaps.prefix(3).joined(separator: ", ")), which the kernel model does not implement (or only stubs)"
        switch entry.outcome {
        case .returned(let value):
            // Audit mode goes on past a fault; Windows would have stopped there. A fault of the
            // driver's own (the page tables refuse it with HVCI off as well) is a crash, not a verdict.
            if !entry.findings.contains(where: \.decidesIncompatibility),
               let crash = entry.findings.first(where: { $0.severity == .error && $0.authority == .processor && $0.bugCheck != nil }),
               let bugCheck = crash.bugCheck {
                return "DriverEntry would have crashed at \(crash.site?.symbol ?? "?"): \(crash.code), bug check "
                    + "\(BugCheck.describe(bugCheck.code)) — the driver's own fault, with or without HVCI (audit mode went on past it)"
            }
            let status = UInt32(truncatingIfNeeded: value)
            guard !gaps.isEmpty, NTStatus.isError(status) else { return nil }
            return "DriverEntry returned \(NTStatus.name(status))\(afterGaps)"
        case .bugCheck:
            // Stopped by HVCI or Driver Verifier (enforce mode): that stop is the verdict's own evidence.
            if entry.findings.contains(where: \.decidesIncompatibility) { return nil }
            let whose = gaps.isEmpty ? " (the driver's own fault, or a model gap: see the trace)" : afterGaps
            return "DriverEntry crashed: \(entry.outcome.summary)\(whose)"
        case .instructionLimit, .timeout, .kernelCallLimit, .parked:
            return "DriverEntry \(entry.outcome.summary)"
        case .unsatisfiableWait:
            return "DriverEntry \(entry.outcome.summary): the model cannot satisfy it"
        case .emulationError(let text):
            return "emulator fault in DriverEntry: \(text)"
        case .toolFault(let text):
            return "the emulator's process died in DriverEntry: \(text)"
        }
    }

    /// This run's own verdict, from its run-time findings and whether it can decide.
    public var verdict: Verdict { Verdict(findings: findings, inconclusiveBecause: inconclusiveReason) }
}
