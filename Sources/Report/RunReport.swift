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

    /// The run the verdict rests on: the one with HVCI on when there is one (with `--hvci both`
    /// the HVCI-off run is a comparison), otherwise the only run.
    public var decidingRun: RunResult? { runs.first(where: \.hvci) ?? runs.first }

    /// Why the verdict is `inconclusive` (nil when it is not).
    public var inconclusiveReason: String? { verdict == .inconclusive ? decidingRun?.inconclusiveReason : nil }

    /// The image's static findings (what Code Integrity refuses at load under HVCI) and the
    /// deciding run's findings; `inconclusive` when that run could not decide.
    public var verdict: Verdict {
        Verdict(findings: image.findings + (decidingRun?.findings ?? []),
                inconclusiveBecause: decidingRun?.inconclusiveReason)
    }
}
