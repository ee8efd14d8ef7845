/// JUnit XML output (`--format junit`), for CI systems that show test results (GitLab, Jenkins,
/// Azure Pipelines). docs/formats.md says how reports map onto suites and cases.
///
/// One suite per driver; one case "image checks" for the static findings, and one per entry
/// point per configuration. A finding at or above `failOn` (and not suppressed by a baseline)
/// is a failure of its case. A case whose run could not decide — its entry point hit a limit,
/// a tool fault or was parked, or the run's verdict is inconclusive — is skipped, not passed.
public enum JUnitReport {
    /// Entry point outcomes that decide nothing about the driver (docs/verdicts.md).
    static let undecidedOutcomes: Set<String> = [
        "instruction-limit", "timeout", "kernel-call-limit", "unsatisfiable-wait", "parked", "emulation-error", "tool-fault",
    ]
    /// Load failures that are Windows refusing the driver for HVCI (the others are the tool's limits).
    static let incompatibleLoadFailures: Set<String> = ["code-integrity", "driver-verifier"]

    struct Case {
        var name: String
        var classname: String
        var failures: [ReportedFinding] = []
        /// A failure that is not a finding (a refused load).
        var loadFailure: (type: String, message: String)?
        var skipped: String?

        var failureCount: Int { failures.count + (loadFailure == nil ? 0 : 1) }
    }

    public static func render(_ documents: [ReportDocument], failOn: String) -> String {
        let threshold = rank(failOn)
        let suites = documents.map { ($0, cases(for: $0, threshold: threshold)) }
        func total(_ count: (Case) -> Int) -> Int { suites.reduce(0) { $0 + $1.1.reduce(0) { $0 + count($1) } } }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"hvcisim\" tests=\"\(total { _ in 1 })\" failures=\"\(total(\.failureCount))\""
        out += " errors=\"0\" skipped=\"\(total { $0.skipped == nil ? 0 : 1 })\">\n"
        for (document, cases) in suites { out += suite(document, cases) }
        out += "</testsuites>\n"
        return out
    }

    /// note < warning < error; an unknown severity counts as a note.
    static func rank(_ severity: String) -> Int { severity == "error" ? 2 : severity == "warning" ? 1 : 0 }

    static func cases(for document: ReportDocument, threshold: Int) -> [Case] {
        func failing(_ findings: [ReportedFinding]) -> [ReportedFinding] {
            findings.filter { !$0.suppressed && rank($0.severity) >= threshold }
        }
        var cases = [Case(name: "image checks", classname: document.path, failures: failing(document.staticFindings))]
        for run in document.runs {
            let classname = "\(document.path) [\(run.configuration)]"
            let runUndecided = run.verdict == "inconclusive" ? (run.verdictReason ?? "inconclusive") : nil
            if !run.loaded || !run.loadFindings.isEmpty {
                var load = Case(name: "load", classname: classname, failures: failing(run.loadFindings))
                if !run.loaded {
                    let reason = run.loadFailure ?? "the image did not load"
                    if incompatibleLoadFailures.contains(run.loadFailureKind ?? "") {
                        load.loadFailure = (run.loadFailureKind ?? "load", reason)
                    } else if load.failures.isEmpty {
                        load.skipped = reason
                    }
                }
                if load.failureCount == 0, load.skipped == nil, let runUndecided { load.skipped = runUndecided }
                cases.append(load)
            }
            for entry in run.entryPoints {
                var test = Case(name: entry.name, classname: classname, failures: failing(entry.findings))
                if test.failures.isEmpty {
                    if undecidedOutcomes.contains(entry.outcomeKind) {
                        test.skipped = "\(entry.outcomeKind): \(entry.outcomeSummary)"
                    } else if let runUndecided {
                        test.skipped = runUndecided
                    }
                }
                cases.append(test)
            }
        }
        return cases
    }

    static func suite(_ document: ReportDocument, _ cases: [Case]) -> String {
        let failures = cases.reduce(0) { $0 + $1.failureCount }
        let skipped = cases.filter { $0.skipped != nil }.count
        var out = "  <testsuite name=\"\(attr(document.path))\" tests=\"\(cases.count)\" failures=\"\(failures)\""
        out += " errors=\"0\" skipped=\"\(skipped)\">\n"
        out += "    <properties>\n"
        out += "      <property name=\"verdict\" value=\"\(attr(document.verdict))\"/>\n"
        if let reason = document.verdictReason { out += "      <property name=\"verdictReason\" value=\"\(attr(reason))\"/>\n" }
        if !document.sha256.isEmpty { out += "      <property name=\"sha256\" value=\"\(attr(document.sha256))\"/>\n" }
        out += "    </properties>\n"
        for test in cases { out += testcase(test) }
        out += "  </testsuite>\n"
        return out
    }

    static func testcase(_ test: Case) -> String {
        let open = "    <testcase name=\"\(attr(test.name))\" classname=\"\(attr(test.classname))\""
        guard test.failureCount > 0 || test.skipped != nil else { return open + "/>\n" }
        var out = open + ">\n"
        if let load = test.loadFailure {
            out += "      <failure message=\"\(attr(load.message))\" type=\"\(attr(load.type))\">"
            out += XMLText.escaped(load.message) + "</failure>\n"
        }
        for finding in test.failures {
            out += "      <failure message=\"\(attr(finding.code + " " + finding.title))\" type=\"\(attr(finding.code))\">"
            out += XMLText.escaped(failureText(finding)) + "</failure>\n"
        }
        if let skipped = test.skipped { out += "      <skipped message=\"\(attr(skipped))\"/>\n" }
        out += "    </testcase>\n"
        return out
    }

    /// The body of a failure: the fix, then where (site and stack, or section).
    static func failureText(_ finding: ReportedFinding) -> String {
        var lines = ["fix: \(finding.fix)"]
        if let site = finding.site { lines.append("site: \(site.address) \(site.symbol)") }
        for frame in finding.stack { lines.append("  called from \(frame.address) \(frame.symbol)") }
        if finding.site == nil, let section = finding.section { lines.append("section: \(section)") }
        if let function = finding.detail("function") { lines.append("function: \(function)") }
        if let bugCheck = finding.bugCheckCode { lines.append("bug check: \(bugCheck)") }
        return lines.joined(separator: "\n")
    }

    static func attr(_ text: String) -> String { XMLText.escaped(text, attribute: true) }
}
