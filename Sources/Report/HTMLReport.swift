import Events
import Kernel
import PEImage
import Scenario

/// `--format html`: one self-contained page (inline CSS, an inline SVG page map, a small
/// self-check script, nothing fetched) with the verdict, the findings, each run's entry points
/// and kernel calls, and the driver's address space with the violations where they happened.
public enum HTMLReport {
    /// A finding with its anchor (`finding-N`) and where it was raised.
    struct Numbered {
        var id: Int
        var finding: Finding
        /// Index into `RunReport.runs`; nil for a static finding.
        var run: Int?
        var entryPoint: String?
        var anchor: String { "finding-\(id)" }
    }

    /// Static findings first, then each run's, numbered from 1 in report order.
    static func numbered(_ report: RunReport) -> [Numbered] {
        var list = report.image.findings.map { Numbered(id: 0, finding: $0, run: nil, entryPoint: nil) }
        for (index, run) in report.runs.enumerated() {
            list += RunReport.placedFindings(of: run).map { Numbered(id: 0, finding: $0.finding, run: index, entryPoint: $0.entryPoint) }
        }
        for index in list.indices { list[index].id = index + 1 }
        return list
    }

    public static func render(_ report: RunReport) -> String {
        let findings = numbered(report)
        var body = header(image: report.image, verdict: report.verdict.rawValue, reason: report.inconclusiveReason)
        body += coverage(report.runs)
        if report.runs.contains(where: { $0.pageMap != nil }) {
            body += "<h2>Page map</h2>\n<div class=\"maps\">\n"
            for (index, run) in report.runs.enumerated() {
                body += HTMLPageMap.render(run: run, runIndex: index, findings: findings.filter { $0.run == index })
            }
            body += "</div>\n" + HTMLPageMap.legend
        }
        body += "<h2>Findings</h2>\n" + (findings.isEmpty ? "<p>None.</p>\n" : findings.map(findingHTML).joined())
        for (index, run) in report.runs.enumerated() { body += HTMLRunSections.render(run, index: index, findings: findings) }
        return page(title: report.image.path, body: body)
    }

    /// `check --format html`: the static checks only.
    public static func render(_ report: ImageReport) -> String {
        let findings = report.findings.enumerated().map { Numbered(id: $0.offset + 1, finding: $0.element, run: nil, entryPoint: nil) }
        let body = header(image: report, verdict: report.verdict.rawValue, reason: nil)
            + "<h2>Findings</h2>\n" + (findings.isEmpty ? "<p>None.</p>\n" : findings.map(findingHTML).joined())
            + "<p class=\"note\">Static checks only: <code>hvcisim run --format html</code> adds the runs and the page map.</p>\n"
        return page(title: report.path, body: body)
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>hvcisim: \(title.html)</title><style>\(HTMLStyle.css)</style></head>
        <body>
        \(body)<script>\(HTMLStyle.script)</script>
        </body></html>

        """
    }

    static func header(image: ImageReport, verdict: String, reason: String?) -> String {
        let name = image.path.split(separator: "/").last.map(String.init) ?? image.path
        return "<h1>hvcisim report: \(name.html)</h1>\n<table class=\"meta\">"
            + "<tr><td>driver</td><td class=\"mono\">\(image.path.html)</td></tr>"
            + "<tr><td>sha256</td><td class=\"mono\">\(image.sha256.html)</td></tr>"
            + "<tr><td>verdict</td><td><span class=\"verdict v-\(HTMLEscape.token(verdict))\">\(verdict.html)</span>"
            + (reason.map { " \($0.html)" } ?? "") + "</td></tr></table>\n"
    }

    static func coverage(_ runs: [RunResult]) -> String {
        guard !runs.isEmpty else { return "" }
        var rows = ""
        for run in runs {
            let c = run.coverage
            let state = run.loadFailure.map { "not loaded: " + $0 } ?? "\(c.found) entry points found, \(c.run) run, \(c.completed) completed"
            rows += "<tr><td>\(configuration(run).html)</td><td>\(state.html)</td><td class=\"num\">\(c.unmodeledCalls)</td>"
                + "<td class=\"num\">\(c.stubCalls)</td><td>\(run.verdict.rawValue.html)</td></tr>"
        }
        return "<h2>Coverage</h2>\n<table><tr><th>run</th><th>coverage</th><th>unmodeled calls</th><th>stub calls</th><th>run verdict</th></tr>"
            + rows + "</table>\n"
    }

    static func configuration(_ run: RunResult) -> String {
        "HVCI \(run.hvci ? "on" : "off"), Driver Verifier \(run.verifier ? "on" : "off"), \(run.enforcement == .audit ? "audit" : "enforce")"
    }

    static func findingHTML(_ n: Numbered) -> String {
        let f = n.finding
        var where_ = n.run == nil ? "static" : "run \(n.run! + 1)"
        if let entry = n.entryPoint { where_ += ", \(entry)" }
        var rows = [("where", where_)]
        if let bugCheck = f.bugCheck {
            rows.append(("bug check", BugCheck.describe(bugCheck.code) + " (" + bugCheck.parameters.joined(separator: ", ") + ")"))
        }
        if let section = f.section { rows.append(("section", section)) }
        if let site = f.site { rows.append(("call site", "\(site.symbol) (\(hex(site.address)))")) }
        if let instruction = f.instruction { rows.append(("instruction", instruction)) }
        rows += f.details.map { ($0.key, $0.value) }
        if !f.stack.isEmpty { rows.append(("stack", f.stack.prefix(8).map(\.symbol).joined(separator: " ← "))) }
        rows.append(("fix", f.fix))
        let list = rows.map { "<dt>\($0.0.html)</dt><dd>\($0.1.html)</dd>" }.joined()
        return "<div class=\"finding \(f.severity.rawValue)\" id=\"\(n.anchor)\" data-code=\"\(f.code.html)\">"
            + "<span class=\"sev\">\(f.severity.rawValue)</span> <code>\(f.code.html)</code> <strong>\(f.title.html)</strong>"
            + "<dl>\(list)</dl></div>\n"
    }
}
