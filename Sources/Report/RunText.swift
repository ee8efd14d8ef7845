import Events
import Kernel
import PEImage
import Scenario

extension TextReport {
    public static func render(_ report: RunReport) -> String {
        var lines = [render(report.image, verdictLabel: "image checks")]
        for run in report.runs {
            let mode = run.enforcement == .audit ? "audit" : "enforce"
            lines.append("  run with HVCI \(run.hvci ? "on" : "off"), Driver Verifier \(run.verifier ? "on" : "off") (\(mode) mode): "
                         + (run.loadFailure.map { "not loaded: \($0)" + (run.loadStatus.map { " (\(NTStatus.name($0)))" } ?? "") }
                            ?? run.imageBase.map { "loaded at \(hex($0))" } ?? "loaded"))
            for finding in run.loadFindings {
                lines.append(contentsOf: renderRuntime(finding).map { "    " + $0 })
            }
            for patch in run.codePatches {
                lines.append("    loader: \(patch.title) at \(patch.symbol) replaced by ud2 (QEMU cannot translate it)")
            }
            for entry in run.entryPoints {
                let counts = [entry.instructions.map { "\($0) instructions" }, "\(entry.kernelCalls) kernel calls"]
                    .compactMap { $0 }.joined(separator: ", ")
                lines.append("    \(entry.name): \(entry.outcome.summary)  (\(counts))")
                for note in entry.notes { lines.append("      \(note)") }
                for finding in entry.findings {
                    lines.append(contentsOf: renderRuntime(finding).map { "      " + $0 })
                }
            }
            for text in run.debugOutput.prefix(50) {
                lines.append("    DbgPrint: \(text.replacingOccurrences(of: "\n", with: " ").trimmingTrailingSpace())")
            }
            lines.append(contentsOf: coverageLines(run.coverage))
            if !run.fallbacks.isEmpty {
                lines.append("    unmodeled kernel APIs called: "
                             + run.fallbacks.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
            }
        }
        if report.runs.count == 2 {
            lines.append("  (the verdict is the HVCI-on run's; the HVCI-off run is a comparison)")
            let differences = report.differences
            lines.append("  HVCI on vs off: " + (differences.isEmpty ? "no difference" : "\(differences.count) difference\(differences.count == 1 ? "" : "s")"))
            for d in differences {
                lines.append("    \(d.entryPoint) \(d.aspect):")
                lines.append("      on:  \(d.hvciOn)")
                lines.append("      off: \(d.hvciOff)")
            }
        }
        lines.append("  overall verdict: \(report.verdict.rawValue)" + (report.inconclusiveReason.map { " — \($0)" } ?? ""))
        return lines.joined(separator: "\n")
    }

    /// "coverage: 9 entry points found, 8 run, 7 completed", then one line per entry point that did not complete.
    static func coverageLines(_ coverage: Coverage) -> [String] {
        guard coverage.found > 0 else { return [] }
        let gaps = [coverage.unmodeledCalls > 0 ? "\(coverage.unmodeledCalls) unmodeled" : nil,
                    coverage.stubCalls > 0 ? "\(coverage.stubCalls) stub" : nil].compactMap { $0 }
        var lines = ["    coverage: \(coverage.found) entry point\(coverage.found == 1 ? "" : "s") found, \(coverage.run) run, \(coverage.completed) completed"
                     + (gaps.isEmpty ? "" : "; kernel calls answered by no model: " + gaps.joined(separator: ", "))]
        for entry in coverage.entries where entry.state != .completed {
            lines.append("      \(entry.state == .notRun ? "not run" : "stopped"): \(entry.name) — \(entry.reason ?? "")")
        }
        return lines
    }

    /// A run-time finding: what and where, the instruction, owner and rights, the fix.
    static func renderRuntime(_ f: Finding) -> [String] {
        var lines = render(f)
        lines.removeLast()
        if let site = f.site {
            lines.append("        at \(site.symbol)" + (f.instruction.map { ": \($0)" } ?? ""))
        }
        let facts = f.details.filter { ["target", "owner", "frameOwner", "pte", "slat", "action", "function"].contains($0.key) }
        if !facts.isEmpty {
            lines.append("        " + facts.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        for frame in f.stack.prefix(4) { lines.append("        called from \(frame.symbol)") }
        lines.append("        fix: \(f.fix)")
        return lines
    }
}

extension String {
    func trimmingTrailingSpace() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
