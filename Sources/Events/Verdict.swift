/// Whether a driver can run with memory integrity on — and how sure the tool is.
///
/// `incompatible` is reserved for what Windows itself raises: Code Integrity
/// refusing the image, the hypervisor refusing an access (SLAT), or Driver
/// Verifier's code-integrity checks (see `Authority`). A driver's own bugs are
/// reported but never make it incompatible. `inconclusive` says the run that
/// decides did not exercise the driver enough to say (a limit, an emulator
/// fault, a model gap the driver tripped on, a crash, an image that cannot be
/// executed); see `docs/verdicts.md`.
public enum Verdict: String, Sendable, CaseIterable {
    /// No findings at all, and the deciding run completed DriverEntry.
    case compatible
    /// Loads and runs under HVCI; notes (or findings that Windows does not stop at) worth reading.
    case compatibleWithNotes = "compatible-with-notes"
    /// Will not load, or will be stopped, under HVCI (or by Driver Verifier's code-integrity checks).
    case incompatible
    /// The run that decides did not get far enough to say.
    case inconclusive

    /// The verdict from findings alone (a static check, or a run that completed).
    public init(findings: [Finding]) {
        if findings.contains(where: \.decidesIncompatibility) {
            self = .incompatible
        } else if findings.isEmpty {
            self = .compatible
        } else {
            self = .compatibleWithNotes
        }
    }

    /// As `init(findings:)`, but `inconclusive` when `inconclusiveBecause` is set and nothing
    /// already makes the driver incompatible (an incompatibility found before a run stopped
    /// early is still an incompatibility).
    public init(findings: [Finding], inconclusiveBecause reason: String?) {
        let fromFindings = Verdict(findings: findings)
        self = fromFindings != .incompatible && reason != nil ? .inconclusive : fromFindings
    }

    /// The process exit status for this verdict: 0 compatible (notes allowed), 1 incompatible,
    /// 3 inconclusive. (2, "not analysable", is the CLI's for files it could not read.)
    public var exitStatus: Int32 {
        switch self {
        case .compatible, .compatibleWithNotes: return 0
        case .incompatible: return 1
        case .inconclusive: return 3
        }
    }

    /// Across several files the most serious status wins: 2 > 1 > 3 > 0 (a file that could not
    /// be analysed, then an incompatible one, then one the tool could not decide).
    public static func combinedExitStatus(_ statuses: [Int32]) -> Int32 {
        let rank: [Int32: Int] = [0: 0, 3: 1, 1: 2, 2: 3]
        return statuses.max { (rank[$0] ?? 3) < (rank[$1] ?? 3) } ?? 0
    }
}
