import Events
import Kernel
import PEImage
import Scenario

/// Everything `run` knows: the static report plus one run per HVCI setting.
public struct RunReport: Sendable {
    public var image: ImageReport
    public var runs: [RunResult]
    /// Fingerprints of known findings (`--baseline`): shown as suppressed, left out of the verdict.
    public var baseline: Set<String>
    /// Each entry point's kernel calls in the JSON (`calls`); off in scans unless `--calls`.
    public var callLog: Bool

    public init(image: ImageReport, runs: [RunResult], baseline: Set<String> = [], callLog: Bool = true) {
        self.image = image
        self.runs = runs
        self.baseline = baseline
        self.callLog = callLog
    }

    /// Static and run-time findings together.
    public var allFindings: [Finding] { image.findings + runs.flatMap(\.findings) }

    /// A run's findings with the entry point each was raised in ("load" for the loader's).
    public static func placedFindings(of run: RunResult) -> [(finding: Finding, entryPoint: String)] {
        run.loadFindings.map { ($0, "load") } + run.entryPoints.flatMap { entry in entry.findings.map { ($0, entry.name) } }
    }

    /// Every fingerprint in the report (static and all runs), for `--update-baseline`.
    public var fingerprints: [String] {
        image.findings.map { Fingerprint.of($0, entryPoint: nil) }
            + runs.flatMap { Self.placedFindings(of: $0).map { Fingerprint.of($0.finding, entryPoint: $0.entryPoint) } }
    }

    func isSuppressed(_ finding: Finding, entryPoint: String?) -> Bool {
        !baseline.isEmpty && baseline.contains(Fingerprint.of(finding, entryPoint: entryPoint))
    }

    /// The run the verdict rests on: the one with HVCI on when there is one (with `--hvci both`
    /// the HVCI-off run is a comparison), otherwise the only run.
    public var decidingRun: RunResult? { runs.first(where: \.hvci) ?? runs.first }

    /// Why the verdict is `inconclusive` (nil when it is not).
    public var inconclusiveReason: String? { verdict == .inconclusive ? undecidedBecause : nil }

    /// Why the deciding run could not decide; also when the baseline suppresses the findings
    /// that kept the image from loading — nothing ran, so nothing can be called compatible.
    var undecidedBecause: String? {
        guard let run = decidingRun else { return nil }
        if let reason = run.inconclusiveReason { return reason }
        if let failure = run.loadFailure, !baseline.isEmpty {
            return "not run: \(failure) (the baseline suppresses the finding, but Windows refuses the image all the same)"
        }
        return nil
    }

    /// The image's static findings (what Code Integrity refuses at load under HVCI) and the
    /// deciding run's findings, less those the baseline suppresses; `inconclusive` when that
    /// run could not decide.
    public var verdict: Verdict {
        let image = image.findings.filter { !isSuppressed($0, entryPoint: nil) }
        let run = decidingRun.map { Self.placedFindings(of: $0).filter { !isSuppressed($0.finding, entryPoint: $0.entryPoint) }.map(\.finding) } ?? []
        return Verdict(findings: image + run, inconclusiveBecause: undecidedBecause)
    }
}
