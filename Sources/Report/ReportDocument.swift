import JSON

/// One driver's report as read back from its JSON (docs/report-schema.md: a `run` report, or a
/// `check` report, which has no runs). SARIF, JUnit, `diff`, `merge`, baselines and scan
/// summaries work from this view, so they read a report the same way whether it was made in
/// this process, in the emulator's child process, or by an earlier hvcisim on another machine.
public struct ReportDocument: Sendable {
    /// The document as read (merge writes it back unchanged).
    public var json: JSONValue
    public var path: String
    public var sha256: String
    public var verdict: String
    public var verdictReason: String?
    /// The image checks' findings (phase "static").
    public var staticFindings: [ReportedFinding]
    public var runs: [ReportedRun]

    public struct Malformed: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(json: JSONValue) throws(Malformed) {
        guard let image = json["image"], let path = image["path"]?.stringValue else {
            throw Malformed(description: "not an hvcisim report (no image.path)")
        }
        guard let verdict = json["verdict"]?.stringValue else { throw Malformed(description: "\(path): no verdict") }
        self.json = json
        self.path = path
        self.sha256 = image["sha256"]?.stringValue ?? ""
        self.verdict = verdict
        self.verdictReason = json["verdictReason"]?.stringValue
        self.staticFindings = (json["findings"]?.arrayValue ?? []).map { ReportedFinding(json: $0, entryPoint: nil, configuration: nil) }
        self.runs = (json["runs"]?.arrayValue ?? []).map(ReportedRun.init)
    }

    /// Every finding: the static ones, then each run's (load, then entry points in order).
    public var allFindings: [ReportedFinding] { staticFindings + runs.flatMap(\.findings) }

    /// The file name without its directories.
    public var fileName: String { path.split(separator: "/").last.map(String.init) ?? path }
}

public struct ReportedRun: Sendable {
    public var hvci: String
    public var verifier: String
    public var mode: String
    public var loaded: Bool
    public var loadFailure: String?
    /// Where the image was mapped ("0xfffff80640000000"); nil when it did not load.
    public var imageBase: String?
    /// code-integrity, driver-verifier (Windows refuses it for HVCI), windows-loader,
    /// unsupported-machine, tool (docs/report-schema.md); nil when it loaded.
    public var loadFailureKind: String?
    public var loadFindings: [ReportedFinding]
    public var entryPoints: [ReportedEntryPoint]
    public var coverage: (found: Int, run: Int, completed: Int)
    public var verdict: String?
    public var verdictReason: String?

    /// "hvci on, verifier on, audit", as `decidedBy` names a run.
    public var configuration: String { "hvci \(hvci), verifier \(verifier), \(mode)" }

    init(json: JSONValue) {
        hvci = json["hvci"]?.stringValue ?? "?"
        verifier = json["verifier"]?.stringValue ?? "?"
        mode = json["mode"]?.stringValue ?? "?"
        loaded = json["loaded"]?.boolValue ?? false
        loadFailure = json["loadFailure"]?.stringValue
        imageBase = json["imageBase"]?.stringValue
        loadFailureKind = json["loadFailureKind"]?.stringValue
        verdict = json["verdict"]?.stringValue
        verdictReason = json["verdictReason"]?.stringValue
        let configuration = "hvci \(hvci), verifier \(verifier), \(mode)"
        loadFindings = (json["loadFindings"]?.arrayValue ?? []).map { ReportedFinding(json: $0, entryPoint: "load", configuration: configuration) }
        entryPoints = (json["entryPoints"]?.arrayValue ?? []).map { ReportedEntryPoint(json: $0, configuration: configuration) }
        let coverage = json["coverage"]
        func count(_ key: String) -> Int { Int(coverage?[key]?.intValue ?? 0) }
        self.coverage = (count("found"), count("run"), count("completed"))
    }

    public var findings: [ReportedFinding] { loadFindings + entryPoints.flatMap(\.findings) }
}

public struct ReportedEntryPoint: Sendable {
    public var name: String
    public var address: String?
    /// returned, bug-check, tool-fault, parked, limit kinds… (docs/report-schema.md).
    public var outcomeKind: String
    public var outcomeSummary: String
    public var findings: [ReportedFinding]

    init(json: JSONValue, configuration: String) {
        name = json["name"]?.stringValue ?? "?"
        address = json["address"]?.stringValue
        outcomeKind = json["outcome"]?["kind"]?.stringValue ?? "?"
        outcomeSummary = json["outcome"]?["summary"]?.stringValue ?? ""
        findings = (json["findings"]?.arrayValue ?? []).map { ReportedFinding(json: $0, entryPoint: json["name"]?.stringValue, configuration: configuration) }
    }
}

public struct ReportedFinding: Sendable {
    public var json: JSONValue
    public var code: String
    public var title: String
    /// error, warning, note.
    public var severity: String
    /// static, load, runtime.
    public var phase: String
    public var fix: String
    public var section: String?
    public var fingerprint: String
    public var suppressed: Bool
    /// The entry point it was raised in ("load" for the loader's; nil for static findings).
    public var entryPoint: String?
    /// The run it belongs to ("hvci on, verifier on, audit"; nil for static findings).
    public var configuration: String?
    public var bugCheckCode: String?
    public var site: (address: String, symbol: String)?
    public var stack: [(address: String, symbol: String)]

    init(json: JSONValue, entryPoint: String?, configuration: String?) {
        self.json = json
        code = json["code"]?.stringValue ?? "?"
        title = json["title"]?.stringValue ?? ""
        severity = json["severity"]?.stringValue ?? "note"
        phase = json["phase"]?.stringValue ?? "static"
        fix = json["fix"]?.stringValue ?? ""
        section = json["section"]?.stringValue
        fingerprint = json["fingerprint"]?.stringValue ?? ""
        suppressed = json["suppressed"]?.boolValue ?? false
        self.entryPoint = entryPoint
        self.configuration = configuration
        bugCheckCode = json["bugCheck"]?["code"]?.stringValue
        func place(_ value: JSONValue?) -> (address: String, symbol: String)? {
            guard let address = value?["address"]?.stringValue else { return nil }
            return (address, value?["symbol"]?.stringValue ?? "")
        }
        site = place(json["site"])
        stack = (json["stack"]?.arrayValue ?? []).compactMap(place)
    }

    /// A detail of the finding ("function", "target", …), as the report lists them.
    public func detail(_ key: String) -> String? { json["details"]?[key]?.stringValue }
}
