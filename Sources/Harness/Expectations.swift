import JSON
import Report

/// Checks one scenario's expectations against its report, read back as the JSON view
/// (ReportDocument) every other consumer of reports uses. Each failure is one readable line:
/// "expected verdict incompatible, got compatible-with-notes".
public enum Expectations {
    public static func failures(of expect: ExpectationSet, in report: ReportDocument, exitStatus: Int32) -> [String] {
        var failures: [String] = []
        if let verdict = expect.verdict, verdict != report.verdict {
            failures.append("expected verdict \(verdict), got \(report.verdict)"
                            + (report.verdictReason.map { " (\($0))" } ?? ""))
        }
        if let status = expect.exitStatus, status != Int(exitStatus) {
            failures.append("expected exit status \(status), got \(exitStatus)")
        }
        let all = report.allFindings
        for code in expect.codes where !all.contains(where: { sameCode($0.code, code) }) {
            failures.append("expected code \(code), not found (codes seen: \(seen(all)))")
        }
        for code in expect.absentCodes {
            let found = all.filter { sameCode($0.code, code) }
            if !found.isEmpty {
                let places = Set(found.map { $0.entryPoint ?? "static checks" }).sorted().joined(separator: ", ")
                failures.append("expected no code \(code), found in \(places)")
            }
        }
        for expected in expect.entryPoints {
            failures += entryPointFailures(expected, in: report)
        }
        return failures
    }

    static func entryPointFailures(_ expected: EntryPointExpectation, in report: ReportDocument) -> [String] {
        // The runs' entry points with their outcome objects (ReportedEntryPoint keeps kind and summary only).
        let raw = (report.json["runs"]?.arrayValue ?? []).flatMap { $0["entryPoints"]?.arrayValue ?? [] }
        let entries = report.runs.flatMap(\.entryPoints)
        // "IRP_MJ_DEVICE_CONTROL" names the first IOCTL sent ("IRP_MJ_DEVICE_CONTROL 0x222004") too.
        let exact = entries.firstIndex(where: { $0.name == expected.name })
        guard let index = exact ?? entries.firstIndex(where: { $0.name.hasPrefix(expected.name + " ") }) else {
            let names = entries.map(\.name)
            return ["expected entry point \(expected.name) to run, it did not (ran: \(names.isEmpty ? "none" : names.joined(separator: ", ")))"]
        }
        let entry = entries[index]
        let outcome = index < raw.count ? raw[index]["outcome"] : nil
        var failures: [String] = []
        if let kind = expected.outcome, kind != entry.outcomeKind {
            failures.append("expected \(expected.name) to end \(kind), got \(entry.outcomeKind) (\(entry.outcomeSummary))")
        }
        if let status = expected.status {
            let name = outcome?["statusName"]?.stringValue
            let value = outcome?["status"]?.stringValue
            let matches = name == status || (number(status) != nil && number(status) == value.flatMap(number))
            if !matches {
                failures.append("expected \(expected.name) to return \(status), got \(name ?? value ?? "no return (\(entry.outcomeKind))")")
            }
        }
        if let bugCheck = expected.bugCheck {
            let code = outcome?["bugCheck"]?["code"]?.stringValue
            if code.flatMap(number) != number(bugCheck) {
                failures.append("expected bug check \(bugCheck) in \(expected.name), got \(code ?? "none (\(entry.outcomeKind))")")
            }
        }
        for code in expected.codes where !entry.findings.contains(where: { sameCode($0.code, code) }) {
            failures.append("expected code \(code) in \(expected.name), not found (codes seen: \(seen(entry.findings)))")
        }
        return failures
    }

    /// Equal as written, or as numbers ("0x2000" and "0x00002000").
    static func sameCode(_ a: String, _ b: String) -> Bool {
        if a.lowercased() == b.lowercased() { return true }
        guard let x = number(a), let y = number(b) else { return false }
        return x == y
    }

    static func number(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        return lower.hasPrefix("0x") ? UInt64(lower.dropFirst(2), radix: 16) : nil
    }

    static func seen(_ findings: [ReportedFinding]) -> String {
        var codes: [String] = []
        for finding in findings where !codes.contains(finding.code) { codes.append(finding.code) }
        return codes.isEmpty ? "none" : codes.joined(separator: ", ")
    }
}
