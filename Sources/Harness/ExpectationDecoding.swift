import JSON

/// Decoding `expect:`.
extension ManifestDecoder {
    static let verdicts = ["compatible", "compatible-with-notes", "incompatible", "inconclusive"]

    func expectations(_ value: JSONValue, _ path: String, _ what: String) throws(ManifestError) -> ExpectationSet {
        var expect = ExpectationSet()
        let fields = try members(value, path, "\(what): expect",
                                 allowed: ["verdict", "exitStatus", "codes", "absentCodes", "entryPoints"])
        for (key, field) in fields {
            let fieldPath = SourceLines.member(path, key)
            switch key {
            case "verdict": expect.verdict = try choice(field, fieldPath, "\(what): expect.verdict", Self.verdicts)
            case "exitStatus": expect.exitStatus = Int(try integer(field, fieldPath, "\(what): expect.exitStatus", 0...3))
            case "codes": expect.codes = try codes(field, fieldPath, "\(what): expect.codes")
            case "absentCodes": expect.absentCodes = try codes(field, fieldPath, "\(what): expect.absentCodes")
            case "entryPoints":
                guard let entries = field.members else { throw fail(fieldPath, "\(what): expect.entryPoints must be a mapping of entry point names") }
                for (name, entry) in entries {
                    expect.entryPoints.append(try entryPoint(name, entry, SourceLines.member(fieldPath, name), what))
                }
            default: break
            }
        }
        return expect
    }

    /// `NAME: kind` or `NAME: {outcome, status, bugCheck, codes}`.
    func entryPoint(_ name: String, _ value: JSONValue, _ path: String, _ what: String) throws(ManifestError) -> EntryPointExpectation {
        var expectation = EntryPointExpectation(name: name)
        if let kind = value.stringValue {
            expectation.outcome = kind
            return expectation
        }
        let label = "\(what): entry point '\(name)'"
        for (key, field) in try members(value, path, label, allowed: ["outcome", "status", "bugCheck", "codes"]) {
            let fieldPath = SourceLines.member(path, key)
            switch key {
            case "outcome": expectation.outcome = try string(field, fieldPath, "\(label): outcome")
            case "status":
                if let number = field.intValue {
                    expectation.status = "0x" + String(UInt32(truncatingIfNeeded: number), radix: 16)
                } else {
                    expectation.status = try string(field, fieldPath, "\(label): status")
                }
            case "bugCheck":
                let code = try integer(field, fieldPath, "\(label): bugCheck", 0...Int64(UInt32.max))
                expectation.bugCheck = "0x" + String(code, radix: 16)
            case "codes": expectation.codes = try codes(field, fieldPath, "\(label): codes")
            default: break
            }
        }
        return expectation
    }
}
