import JSON

/// SARIF 2.1.0 output (`--format sarif`), for code-scanning services (GitHub code scanning,
/// Azure DevOps, `sarif-tools`). docs/formats.md says where each field comes from.
///
/// One SARIF run per configuration the reports hold ("hvci on, verifier on, audit"): a run is
/// one tool invocation under one set of switches, and a service compares a run with the
/// same run of an earlier build (`automationDetails.id` keeps them apart). Static findings go
/// into the run that decides the verdict (the report's `decidedBy`, the HVCI-on one); a `check`
/// report, which has no runs, gives one run named "image checks".
public enum SarifReport {
    public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
    public static let informationURI = "https://github.com/hvcisim/hvcisim"
    /// The key of `partialFingerprints`; the version part changes if Fingerprint's recipe does.
    public static let fingerprintKey = "hvcisim/v1"
    /// The configuration name of the run a `check` report gives.
    public static let staticConfiguration = "image checks"

    public static func render(_ documents: [ReportDocument]) -> String {
        log(documents).rendered()
    }

    public static func log(_ documents: [ReportDocument]) -> JSONValue {
        let configurations = self.configurations(documents)
        let homes = documents.map { staticHome(of: $0, among: configurations) }
        let runs = configurations.map { configuration in
            run(configuration, documents: documents, staticHere: homes.map { $0 == configuration })
        }
        return .object([
            ("$schema", .string(schemaURI)),
            ("version", .string("2.1.0")),
            ("runs", .array(runs)),
        ])
    }

    /// The configurations in the order first met, HVCI-on ones first (they decide verdicts).
    static func configurations(_ documents: [ReportDocument]) -> [String] {
        var seen: [String] = []
        for run in documents.flatMap(\.runs) where !seen.contains(run.configuration) { seen.append(run.configuration) }
        let ordered = seen.filter { $0.hasPrefix("hvci on") } + seen.filter { !$0.hasPrefix("hvci on") }
        return ordered.isEmpty ? [staticConfiguration] : ordered
    }

    /// The run a document's static findings go into: its deciding run, else its first, else the first of all.
    static func staticHome(of document: ReportDocument, among configurations: [String]) -> String {
        if let decided = document.json["decidedBy"]?.stringValue, configurations.contains(decided) { return decided }
        if let first = document.runs.first?.configuration, configurations.contains(first) { return first }
        return configurations[0]
    }

    /// The documents' findings (static where `staticHere`, then the run's) under one configuration.
    static func run(_ configuration: String, documents: [ReportDocument], staticHere: [Bool]) -> JSONValue {
        var artifacts: [JSONValue] = []
        var addresses: [JSONValue] = []
        var drivers: [JSONValue] = []
        var pending: [(finding: ReportedFinding, artifact: Int, uri: String, document: ReportDocument, image: SarifLocations.ImageSpan?)] = []
        for (index, document) in documents.enumerated() {
            let run = document.runs.first { $0.configuration == configuration }
            guard run != nil || staticHere[index] else { continue }
            let artifact = artifacts.count
            let uri = SarifLocations.uri(document.path)
            artifacts.append(.object([
                ("location", .object([("uri", .string(uri))])),
                ("roles", .array([.string("analysisTarget")])),
                ("hashes", .object(document.sha256.isEmpty ? [] : [("sha-256", .string(document.sha256))])),
            ]))
            var image: SarifLocations.ImageSpan?
            if let run, let base = SarifLocations.parseHex(run.imageBase),
               let size = document.json["image"]?["sizeOfImage"]?.intValue, size > 0 {
                image = .init(base: base, size: UInt64(size), addressIndex: addresses.count)
                addresses.append(.object([("kind", .string("module")), ("name", .string(document.fileName)),
                                          ("fullyQualifiedName", .string(run.imageBase ?? "")),
                                          ("length", .int(size))]))
            }
            let findings = (staticHere[index] ? document.staticFindings : []) + (run?.findings ?? [])
            pending += findings.map { ($0, artifact, uri, document, image) }
            drivers.append(driverProperties(document, run: run))
        }
        let codes = Array(Set(pending.map(\.finding.code))).sorted()
        let results = pending.map { item in
            result(item.finding, ruleIndex: codes.firstIndex(of: item.finding.code) ?? 0, artifact: item.artifact,
                   uri: item.uri, document: item.document, image: item.image)
        }
        var members: [(String, JSONValue)] = [
            ("tool", .object([("driver", .object([
                ("name", .string(Tool.name)), ("version", .string(Tool.version)), ("semanticVersion", .string(Tool.version)),
                ("informationUri", .string(informationURI)), ("rules", .array(codes.map(rule))),
            ]))])),
            ("automationDetails", .object([("id", .string("hvcisim/" + slug(configuration) + "/"))])),
            ("invocations", .array([.object([("executionSuccessful", .bool(true))])])),
            ("artifacts", .array(artifacts)),
        ]
        if !addresses.isEmpty { members.append(("addresses", .array(addresses))) }
        members.append(("results", .array(results)))
        members.append(("properties", .object(runProperties(configuration, documents: documents) + [("drivers", .array(drivers))])))
        return .object(members)
    }

    /// "hvci on, verifier on, audit" → "hvci-on-verifier-on-audit" (code scanning's category).
    static func slug(_ text: String) -> String {
        var out = ""
        for c in text.lowercased() {
            if c.isLetter || c.isNumber { out.append(c) } else if !out.isEmpty, out.last != "-" { out.append("-") }
        }
        while out.last == "-" { out.removeLast() }
        return out
    }

    static func runProperties(_ configuration: String, documents: [ReportDocument]) -> [(String, JSONValue)] {
        guard let run = documents.flatMap(\.runs).first(where: { $0.configuration == configuration }) else {
            return [("configuration", .string(configuration))]
        }
        return [("configuration", .string(configuration)), ("hvci", .string(run.hvci)),
                ("verifier", .string(run.verifier)), ("mode", .string(run.mode))]
    }

    static func driverProperties(_ document: ReportDocument, run: ReportedRun?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("path", .string(document.path)), ("verdict", .string(document.verdict)),
            ("verdictReason", .optional(document.verdictReason)),
        ]
        if let run {
            members += [
                ("runVerdict", .optional(run.verdict)), ("runVerdictReason", .optional(run.verdictReason)),
                ("loaded", .bool(run.loaded)), ("loadFailure", .optional(run.loadFailure)),
                ("coverage", .object([("found", .int(run.coverage.found)), ("run", .int(run.coverage.run)),
                                      ("completed", .int(run.coverage.completed))])),
            ]
        }
        return .object(members)
    }

    static func rule(_ code: String) -> JSONValue {
        let rule = RuleCatalog.rule(for: code)
        var properties: [(String, JSONValue)] = [("tags", .array([.string("hvci"), .string("memory-integrity")]))]
        if let bugCheck = rule.bugCheck { properties.append(("bugCheck", .string(bugCheck))) }
        return .object([
            ("id", .string(code)),
            ("name", .string(rule.name)),
            ("shortDescription", .object([("text", .string(rule.short))])),
            ("fullDescription", .object([("text", .string(rule.full))])),
            ("help", .object([("text", .string(rule.help))])),
            ("helpUri", .string(RuleCatalog.helpURI(for: rule))),
            ("defaultConfiguration", .object([("level", .string(level(rule.severity)))])),
            ("properties", .object(properties)),
        ])
    }

    /// SARIF levels are named as hvcisim's severities; anything unknown is a warning.
    static func level(_ severity: String) -> String {
        ["error", "warning", "note"].contains(severity) ? severity : "warning"
    }

    static func message(_ finding: ReportedFinding) -> String {
        guard !finding.fix.isEmpty else { return finding.title }
        let title = finding.title.hasSuffix(".") ? String(finding.title.dropLast()) : finding.title
        return "\(title). Fix: \(finding.fix)"
    }
}
