import JSON
import Report

/// What changed between two reports of the same drivers (two builds of a driver, or two
/// hvcisim versions): findings added, removed and changed (matched by fingerprint within a
/// run configuration, so a rebuild that moves code does not show as churn), entry-point
/// outcomes, coverage and verdicts. Drivers are paired by file name; two single-driver reports
/// are paired whatever their names.
public struct ReportDiff: Sendable {
    public struct FindingChange: Sendable {
        public var driver: String
        /// "static", or the run's configuration ("hvci on, verifier on, audit").
        public var configuration: String
        public var entryPoint: String?
        public var old: ReportedFinding?
        public var new: ReportedFinding?
        /// For a changed finding: what differs ("severity warning → error", …).
        public var what: String?
    }

    public struct ValueChange: Sendable {
        public var driver: String
        /// Where: "verdict", "coverage (hvci on, …)", "DriverEntry (hvci on, …)".
        public var aspect: String
        public var old: String
        public var new: String
    }

    public var added: [FindingChange] = []
    public var removed: [FindingChange] = []
    public var changed: [FindingChange] = []
    public var values: [ValueChange] = []
    public var driversAdded: [String] = []
    public var driversRemoved: [String] = []

    /// True when the new report has an error-level finding the old one did not (not suppressed).
    public var hasNewError: Bool {
        added.contains { $0.new?.severity == "error" && $0.new?.suppressed == false }
            || changed.contains { $0.new?.severity == "error" && $0.old?.severity != "error" && $0.new?.suppressed == false }
    }

    public var isEmpty: Bool {
        added.isEmpty && removed.isEmpty && changed.isEmpty && values.isEmpty && driversAdded.isEmpty && driversRemoved.isEmpty
    }

    public init(old: ReportSet, new: ReportSet) {
        var pairs: [(String, ReportDocument, ReportDocument)] = []
        if old.documents.count == 1, new.documents.count == 1 {
            pairs = [(new.documents[0].fileName, old.documents[0], new.documents[0])]
        } else {
            let oldByName = Dictionary(old.documents.map { ($0.fileName, $0) }, uniquingKeysWith: { first, _ in first })
            let newByName = Dictionary(new.documents.map { ($0.fileName, $0) }, uniquingKeysWith: { first, _ in first })
            driversRemoved = oldByName.keys.filter { newByName[$0] == nil }.sorted()
            driversAdded = newByName.keys.filter { oldByName[$0] == nil }.sorted()
            pairs = newByName.keys.sorted().compactMap { name in oldByName[name].map { (name, $0, newByName[name]!) } }
        }
        for (name, before, after) in pairs { compare(name, before, after) }
    }

    private mutating func compare(_ driver: String, _ before: ReportDocument, _ after: ReportDocument) {
        if before.verdict != after.verdict {
            values.append(ValueChange(driver: driver, aspect: "verdict", old: before.verdict, new: after.verdict))
        }
        compareFindings(driver, "static", before.staticFindings, after.staticFindings)
        let oldRuns = Dictionary(before.runs.map { ($0.configuration, $0) }, uniquingKeysWith: { first, _ in first })
        for run in after.runs {
            guard let previous = oldRuns[run.configuration] else {
                values.append(ValueChange(driver: driver, aspect: "run (\(run.configuration))", old: "not run", new: "run"))
                compareFindings(driver, run.configuration, [], run.findings)
                continue
            }
            compareFindings(driver, run.configuration, previous.findings, run.findings)
            if previous.coverage != run.coverage {
                func text(_ c: (found: Int, run: Int, completed: Int)) -> String { "\(c.found) found, \(c.run) run, \(c.completed) completed" }
                values.append(ValueChange(driver: driver, aspect: "coverage (\(run.configuration))",
                                          old: text(previous.coverage), new: text(run.coverage)))
            }
            let oldEntries = Dictionary(previous.entryPoints.map { (Fingerprint.normalized($0.name), $0) }, uniquingKeysWith: { first, _ in first })
            for entry in run.entryPoints {
                let name = Fingerprint.normalized(entry.name)
                let now = Self.outcome(entry)
                let then = oldEntries[name].map(Self.outcome) ?? "not run"
                if now != then {
                    values.append(ValueChange(driver: driver, aspect: "\(entry.name) (\(run.configuration))", old: then, new: now))
                }
            }
            for entry in previous.entryPoints where !run.entryPoints.contains(where: { Fingerprint.normalized($0.name) == Fingerprint.normalized(entry.name) }) {
                values.append(ValueChange(driver: driver, aspect: "\(entry.name) (\(run.configuration))", old: Self.outcome(entry), new: "not run"))
            }
        }
        for run in before.runs where !after.runs.contains(where: { $0.configuration == run.configuration }) {
            values.append(ValueChange(driver: driver, aspect: "run (\(run.configuration))", old: "run", new: "not run"))
            compareFindings(driver, run.configuration, run.findings, [])
        }
    }

    /// An outcome in words that survive a rebuild (addresses dropped).
    static func outcome(_ entry: ReportedEntryPoint) -> String {
        Fingerprint.normalized(entry.outcomeSummary.isEmpty ? entry.outcomeKind : entry.outcomeSummary)
    }

    /// Findings matched by fingerprint, as many times as they occur on both sides.
    private mutating func compareFindings(_ driver: String, _ configuration: String, _ before: [ReportedFinding], _ after: [ReportedFinding]) {
        var pool: [String: [ReportedFinding]] = [:]
        for finding in before { pool[finding.fingerprint, default: []].append(finding) }
        for finding in after {
            guard var candidates = pool[finding.fingerprint], !candidates.isEmpty else {
                added.append(FindingChange(driver: driver, configuration: configuration, entryPoint: finding.entryPoint, old: nil, new: finding))
                continue
            }
            let previous = candidates.removeFirst()
            pool[finding.fingerprint] = candidates
            var what: [String] = []
            if previous.severity != finding.severity { what.append("severity \(previous.severity) → \(finding.severity)") }
            if previous.bugCheckCode != finding.bugCheckCode {
                what.append("bug check \(previous.bugCheckCode ?? "none") → \(finding.bugCheckCode ?? "none")")
            }
            if previous.title != finding.title { what.append("title \"\(previous.title)\" → \"\(finding.title)\"") }
            if previous.suppressed != finding.suppressed { what.append(finding.suppressed ? "now suppressed" : "no longer suppressed") }
            if !what.isEmpty {
                changed.append(FindingChange(driver: driver, configuration: configuration, entryPoint: finding.entryPoint,
                                             old: previous, new: finding, what: what.joined(separator: "; ")))
            }
        }
        for finding in pool.values.flatMap({ $0 }) {
            removed.append(FindingChange(driver: driver, configuration: configuration, entryPoint: finding.entryPoint, old: finding, new: nil))
        }
    }

    // MARK: Output

    public func text() -> String {
        guard !isEmpty else { return "no differences" }
        var lines: [String] = []
        func describe(_ change: FindingChange, _ finding: ReportedFinding) -> String {
            let place = [change.entryPoint, change.configuration == "static" ? "static" : change.configuration].compactMap { $0 }.joined(separator: ", ")
            return "\(change.driver): \(finding.severity) \(finding.code) \(finding.title) (\(place))"
        }
        for name in driversAdded { lines.append("+ driver \(name)") }
        for name in driversRemoved { lines.append("- driver \(name)") }
        for change in added { lines.append("+ " + describe(change, change.new!)) }
        for change in removed { lines.append("- " + describe(change, change.old!)) }
        for change in changed { lines.append("~ " + describe(change, change.new!) + ": \(change.what ?? "")") }
        for value in values { lines.append("~ \(value.driver): \(value.aspect): \(value.old) → \(value.new)") }
        lines.append("\(added.count) added, \(removed.count) removed, \(changed.count) changed, \(values.count) other changes")
        return lines.joined(separator: "\n")
    }

    public func json() -> JSONValue {
        func finding(_ change: FindingChange, _ side: ReportedFinding?) -> JSONValue {
            .object([("driver", .string(change.driver)), ("configuration", .string(change.configuration)),
                     ("entryPoint", .optional(change.entryPoint)), ("finding", side?.json ?? .null)])
        }
        return .object([
            ("schemaVersion", .string(ReportSchema.version)),
            ("kind", .string("diff")),
            ("driversAdded", .array(driversAdded.map(JSONValue.string))),
            ("driversRemoved", .array(driversRemoved.map(JSONValue.string))),
            ("added", .array(added.map { finding($0, $0.new) })),
            ("removed", .array(removed.map { finding($0, $0.old) })),
            ("changed", .array(changed.map { change in
                .object([("driver", .string(change.driver)), ("configuration", .string(change.configuration)),
                         ("entryPoint", .optional(change.entryPoint)), ("what", .optional(change.what)),
                         ("old", change.old?.json ?? .null), ("new", change.new?.json ?? .null)])
            })),
            ("other", .array(values.map {
                .object([("driver", .string($0.driver)), ("aspect", .string($0.aspect)), ("old", .string($0.old)), ("new", .string($0.new))])
            })),
            ("newErrors", .bool(hasNewError)),
        ])
    }
}
