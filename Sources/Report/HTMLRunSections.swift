import Events
import Kernel
import PEImage
import Scenario

/// Per run: the entry-point timeline and each entry point's kernel calls.
enum HTMLRunSections {
    /// Kernel-call rows shown per entry point; the rest are counted, not listed (a driver
    /// looping on a DDI would otherwise make a page the browser cannot open).
    static let callRowLimit = 500

    static func render(_ run: RunResult, index: Int, findings: [HTMLReport.Numbered]) -> String {
        var out = "<h2 id=\"run-\(index + 1)\">Run \(index + 1): \(HTMLReport.configuration(run).html)</h2>\n"
        if let failure = run.loadFailure {
            out += "<p class=\"outcome-bad\">Not loaded: \(failure.html)"
                + (run.loadStatus.map { " (\(NTStatus.name($0).html))" } ?? "") + "</p>\n"
        } else if let base = run.imageBase {
            out += "<p>Loaded at <code>\(hex(base))</code>.</p>\n"
        }
        for patch in run.codePatches {
            out += "<p class=\"note\">Loader: \(patch.title.html) at <code>\(patch.symbol.html)</code> replaced by ud2.</p>\n"
        }
        out += timeline(run, index: index, findings: findings)
        for entry in run.entryPoints where !entry.calls.isEmpty { out += calls(entry) }
        if !run.debugOutput.isEmpty {
            let lines = run.debugOutput.prefix(200).map { $0.html }.joined(separator: "\n")
            out += "<details><summary>Debug output (\(run.debugOutput.count) lines)</summary><pre>\(lines)</pre></details>\n"
        }
        return out
    }

    static func timeline(_ run: RunResult, index: Int, findings: [HTMLReport.Numbered]) -> String {
        guard !run.entryPoints.isEmpty else { return "" }
        var rows = ""
        for (position, entry) in run.entryPoints.enumerated() {
            let ok: Bool
            if case .returned = entry.outcome { ok = true } else { ok = false }
            let links = findings.filter { $0.run == index && $0.entryPoint == entry.name }
                .map { "<a href=\"#\($0.anchor)\">\($0.finding.code.html)</a>" }.joined(separator: " ")
            rows += "<tr><td class=\"num\">\(position + 1)</td><td><code>\(entry.name.html)</code></td>"
                + "<td class=\"\(ok ? "outcome-ok" : "outcome-bad")\">\(entry.outcome.summary.html)</td>"
                + "<td class=\"num\">\(entry.instructions.map(String.init) ?? "–")</td><td class=\"num\">\(entry.kernelCalls)</td>"
                + "<td>\(links)</td><td>\(entry.notes.map { $0.html }.joined(separator: "<br>"))</td></tr>\n"
        }
        return "<h3>Entry points</h3>\n<table><tr><th>#</th><th>entry point</th><th>outcome</th><th>instructions</th>"
            + "<th>kernel calls</th><th>findings</th><th>notes</th></tr>\n\(rows)</table>\n"
    }

    static func calls(_ entry: EntryPointResult) -> String {
        var rows = ""
        for call in entry.calls.prefix(callRowLimit) {
            let flags = call.modeled ? (call.stub ? " <span class=\"note\">(stub)</span>" : "") : " <span class=\"outcome-bad\">(unmodeled)</span>"
            rows += "<tr><td class=\"mono\">\(hex(call.site))</td><td><code>\(call.function.html)</code>\(flags)</td>"
                + "<td class=\"mono\">\(call.arguments.map { hex($0) }.joined(separator: ", "))</td>"
                + "<td class=\"mono\">\(hex(call.returnValue))</td><td>\(call.notes.map { $0.html }.joined(separator: "; "))</td></tr>\n"
        }
        let left = entry.calls.count - min(entry.calls.count, callRowLimit)
        return "<details\(entry.calls.count <= 40 ? " open" : "")><summary>Kernel calls of <code>\(entry.name.html)</code> "
            + "(\(entry.calls.count))</summary>\n<table><tr><th>site</th><th>function</th><th>arguments</th><th>returned</th><th>notes</th></tr>\n"
            + rows + "</table>\n" + (left > 0 ? "<p class=\"note\">\(left) more calls not shown.</p>\n" : "") + "</details>\n"
    }
}
