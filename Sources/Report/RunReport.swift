import Events
import Kernel
import PEImage
import Scenario

/// Everything `run` knows: the static report plus one run per HVCI setting.
public struct RunReport: Sendable {
    public var image: ImageReport
    public var runs: [RunResult]

    public init(image: ImageReport, runs: [RunResult]) {
        self.image = image
        self.runs = runs
    }

    /// Static and run-time findings together.
    public var allFindings: [Finding] { image.findings + runs.flatMap(\.findings) }
    public var verdict: Verdict { Verdict(findings: allFindings) }
}

extension Outcome {
    /// "returned STATUS_SUCCESS", "bug check 0xFC (…)", "instruction limit (100000000)".
    public var summary: String {
        switch self {
        case .returned(let value): return "returned \(NTStatus.name(UInt32(truncatingIfNeeded: value)))"
        case let .bugCheck(code, parameters):
            return "bug check \(hex(code)) (\(parameters.map { hex($0) }.joined(separator: ", ")))"
        case .instructionLimit(let n): return "stopped: instruction limit (\(n))"
        case .timeout(let s): return "stopped: timeout (\(s) s)"
        case .kernelCallLimit(let n): return "stopped: kernel-call limit (\(n))"
        case .unsatisfiableWait(let what): return "stopped: wait that can never be satisfied (\(what))"
        case .emulationError(let text): return "emulation error: \(text)"
        }
    }
}
