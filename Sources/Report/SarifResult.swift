import JSON

extension SarifReport {
    /// One SARIF result for one finding: rule, level, message (title and fix), where it is,
    /// the call stack as a code flow (run-time findings), the rebuild-stable fingerprint, and a
    /// suppression when a baseline holds it.
    static func result(_ finding: ReportedFinding, ruleIndex: Int, artifact: Int, uri: String,
                       document: ReportDocument, image: SarifLocations.ImageSpan?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("ruleId", .string(finding.code)),
            ("ruleIndex", .int(ruleIndex)),
            ("level", .string(level(finding.severity))),
            ("message", .object([("text", .string(message(finding)))])),
            ("locations", .array([primaryLocation(finding, artifact: artifact, uri: uri, document: document, image: image)])),
        ]
        let frames = (finding.site.map { [$0] } ?? []) + finding.stack
        if !frames.isEmpty {
            let steps: [JSONValue] = frames.enumerated().map { index, frame in
                .object([
                    ("location", SarifLocations.location(
                        artifactIndex: artifact, uri: uri,
                        address: SarifLocations.codeAddress(frame.address, symbol: frame.symbol, image: image),
                        logical: SarifLocations.codeLogical(symbol: frame.symbol),
                        message: frame.symbol.isEmpty ? frame.address : frame.symbol)),
                    // SARIF's well-known kinds: "danger" marks the site, "call" a caller's return address.
                    ("kinds", .array([.string(index == 0 && finding.site != nil ? "danger" : "call")])),
                ])
            }
            let flowMessage = "\(finding.entryPoint ?? "run"): the site, then return addresses on the stack, innermost first"
            members.append(("codeFlows", .array([.object([
                ("message", .object([("text", .string(flowMessage))])),
                ("threadFlows", .array([.object([("locations", .array(steps))])])),
            ])])))
        }
        if !finding.fingerprint.isEmpty {
            members.append(("partialFingerprints", .object([(fingerprintKey, .string(finding.fingerprint))])))
        }
        if finding.suppressed {
            members.append(("suppressions", .array([.object([("kind", .string("external")),
                                                               ("justification", .string("in baseline"))])])))
        }
        members.append(("properties", .object(resultProperties(finding))))
        return .object(members)
    }

    static func primaryLocation(_ finding: ReportedFinding, artifact: Int, uri: String, document: ReportDocument,
                                image: SarifLocations.ImageSpan?) -> JSONValue {
        if let site = finding.site {
            var logical = SarifLocations.codeLogical(symbol: site.symbol)
            if let function = finding.detail("function"), logical.isEmpty {
                logical = [.object([("name", .string(function)), ("kind", .string("function"))])]
            }
            return SarifLocations.location(artifactIndex: artifact, uri: uri,
                                           address: SarifLocations.codeAddress(site.address, symbol: site.symbol, image: image),
                                           logical: logical)
        }
        return SarifLocations.location(artifactIndex: artifact, uri: uri,
                                       address: SarifLocations.staticAddress(finding, document: document),
                                       logical: SarifLocations.staticLogical(finding))
    }

    /// What SARIF has no field for: phase, entry point, configuration, bug check, the details.
    static func resultProperties(_ finding: ReportedFinding) -> [(String, JSONValue)] {
        var properties: [(String, JSONValue)] = [("phase", .string(finding.phase))]
        if let entryPoint = finding.entryPoint { properties.append(("entryPoint", .string(entryPoint))) }
        if let configuration = finding.configuration { properties.append(("configuration", .string(configuration))) }
        if let bugCheck = finding.bugCheckCode { properties.append(("bugCheck", .string(bugCheck))) }
        if let details = finding.json["details"]?.members, !details.isEmpty {
            properties.append(("details", .object(details.compactMap { key, value in value.stringValue.map { (key, .string($0)) } })))
        }
        if let instruction = finding.json["instruction"]?.stringValue { properties.append(("instruction", .string(instruction))) }
        return properties
    }
}
