import Events
import JSON
import Report

/// The result of a scan (or of `merge` over shards): every driver's report in path order, the
/// files that could not be analysed, the wall time per driver, and a summary computed from the
/// reports alone — so that shards merged give, byte for byte, what one scan gives, except for
/// the timings (`timings`, `summary.slowest`, `summary.wallSeconds`). docs/scaling.md.
public struct ScanDocument: Sendable {
    public var reports: [ReportDocument]
    public var failures: [(path: String, error: String)]
    public var timings: [String: Double]
    /// "K/N" for one shard's result; nil for a whole scan or a merge.
    public var shard: String?
    public var wallSeconds: Double

    public init(reports: [ReportDocument], failures: [(path: String, error: String)], timings: [String: Double],
                shard: String?, wallSeconds: Double) {
        self.reports = reports.sorted { $0.path < $1.path }
        self.failures = failures.sorted { $0.path < $1.path }
        self.timings = timings
        self.shard = shard
        self.wallSeconds = wallSeconds
    }

    /// Joins shard results (or any report sets); a driver path seen twice keeps its first report.
    public init(merging sets: [ReportSet]) {
        var seen: Set<String> = []
        var reports: [ReportDocument] = []
        var failures: [(path: String, error: String)] = []
        var timings: [String: Double] = [:]
        for set in sets {
            for document in set.documents where seen.insert(document.path).inserted { reports.append(document) }
            for failure in set.failures where seen.insert(failure.path).inserted { failures.append(failure) }
            timings.merge(set.timings) { first, _ in first }
        }
        self.init(reports: reports, failures: failures, timings: timings, shard: nil,
                  wallSeconds: timings.values.reduce(0, +))
    }

    public var summary: ScanSummary { ScanSummary(reports: reports, failures: failures.count, timings: timings) }

    /// The exit status over every driver (2 > 1 > 3 > 0, as for several files elsewhere).
    public var exitStatus: Int32 {
        var statuses = reports.map { Verdict(rawValue: $0.verdict)?.exitStatus ?? 2 }
        if !failures.isEmpty { statuses.append(2) }
        return Verdict.combinedExitStatus(statuses)
    }

    public func json() -> JSONValue {
        .object([
            ("schemaVersion", .string(ReportSchema.version)),
            ("tool", .object([("name", .string(Tool.name)), ("version", .string(Tool.version))])),
            ("kind", .string("scan")),
            ("shard", .optional(shard)),
            ("reports", .array(reports.map(\.json))),
            ("failures", .array(failures.map { .object([("path", .string($0.path)), ("error", .string($0.error))]) })),
            ("timings", .array(timings.keys.sorted().map { path in
                .object([("path", .string(path)), ("seconds", .fraction(Self.format(timings[path] ?? 0)))])
            })),
            ("summary", summary.json(wallSeconds: wallSeconds)),
        ])
    }

    static func format(_ seconds: Double) -> String {
        let millis = Int((seconds * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

/// Counts over a scan: verdicts, the most frequent findings, why runs were inconclusive, and
/// the slowest drivers.
public struct ScanSummary: Sendable {
    public var drivers: Int
    public var verdicts: [(verdict: String, count: Int)]
    /// Code, drivers it occurs in, findings in all (suppressed ones not counted).
    public var findings: [(code: String, drivers: Int, count: Int)]
    public var inconclusive: [(path: String, reason: String)]
    public var slowest: [(path: String, seconds: Double)]

    public static let verdictOrder = Verdict.allCases.map(\.rawValue)

    init(reports: [ReportDocument], failures: Int, timings: [String: Double]) {
        drivers = reports.count + failures
        verdicts = Self.verdictOrder.map { verdict in (verdict, reports.filter { $0.verdict == verdict }.count) }
            + [("not analysable", failures)]
        var perCode: [String: (drivers: Int, count: Int)] = [:]
        for report in reports {
            let found = report.allFindings.filter { !$0.suppressed }
            for code in Set(found.map(\.code)) { perCode[code, default: (0, 0)].drivers += 1 }
            for finding in found { perCode[finding.code, default: (0, 0)].count += 1 }
        }
        findings = perCode.map { ($0.key, $0.value.drivers, $0.value.count) }
            .sorted { ($1.drivers, $1.count, $0.code) < ($0.drivers, $0.count, $1.code) }
        inconclusive = reports.filter { $0.verdict == "inconclusive" }.map { ($0.path, $0.verdictReason ?? "") }
        slowest = timings.map { ($0.key, $0.value) }.sorted { ($1.seconds, $0.path) < ($0.seconds, $1.path) }
    }

    func json(wallSeconds: Double) -> JSONValue {
        .object([
            ("drivers", .int(drivers)),
            ("verdicts", .object(verdicts.map { ($0.verdict, .int($0.count)) })),
            ("findings", .array(findings.prefix(20).map {
                .object([("code", .string($0.code)), ("drivers", .int($0.drivers)), ("findings", .int($0.count))])
            })),
            ("inconclusive", .array(inconclusive.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })),
            ("slowest", .array(slowest.prefix(10).map {
                .object([("path", .string($0.path)), ("seconds", .fraction(ScanDocument.format($0.seconds)))])
            })),
            ("wallSeconds", .fraction(ScanDocument.format(wallSeconds))),
        ])
    }

    /// The closing table of a scan, for people.
    public func text(wallSeconds: Double, jobs: Int?) -> String {
        var lines = ["\(drivers) driver\(drivers == 1 ? "" : "s")" + (jobs.map { " in \(ScanDocument.format(wallSeconds)) s with \($0) job\($0 == 1 ? "" : "s")" } ?? "")]
        lines.append("  verdict                  drivers")
        for (verdict, count) in verdicts { lines.append("    " + pad(verdict, 24) + pad(String(count), 7, left: true)) }
        if !findings.isEmpty {
            lines.append("  most frequent findings   drivers  findings")
            for entry in findings.prefix(10) {
                lines.append("    " + pad(entry.code, 24) + pad(String(entry.drivers), 7, left: true) + pad(String(entry.count), 10, left: true))
            }
        }
        if !inconclusive.isEmpty {
            lines.append("  inconclusive")
            for entry in inconclusive.prefix(20) { lines.append("    \(entry.path): \(entry.reason.prefix(160))") }
            if inconclusive.count > 20 { lines.append("    … and \(inconclusive.count - 20) more") }
        }
        if !slowest.isEmpty {
            lines.append("  slowest")
            for entry in slowest.prefix(5) { lines.append("    " + pad(ScanDocument.format(entry.seconds) + " s", 10, left: true) + "  \(entry.path)") }
        }
        return lines.joined(separator: "\n")
    }

    func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? fill + text : text + fill
    }
}
