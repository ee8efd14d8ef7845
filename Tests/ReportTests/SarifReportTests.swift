import JSON
@testable import Report
import Testing

struct SarifReportTests {
    func log() throws -> JSONValue {
        let text = SarifReport.render([try FormatFixtures.document(FormatFixtures.runReport)])
        return try JSONValue.parse(Array(text.utf8))
    }

    @Test func oneRunPerConfigurationDecidingRunFirstWithTheStaticFindings() throws {
        let runs = try #require(try log()["runs"]?.arrayValue)
        #expect(runs.count == 2)
        #expect(runs[0]["properties"]?["configuration"]?.stringValue == "hvci on, verifier on, audit")
        #expect(runs[0]["automationDetails"]?["id"]?.stringValue == "hvcisim/hvci-on-verifier-on-audit/")
        let codes = (runs[0]["results"]?.arrayValue ?? []).compactMap { $0["ruleId"]?.stringValue }
        #expect(codes == ["0x2003", "NX_COMPAT_MISSING", "CODE_PAGE_WRITE", "CODE_PAGE_WRITE", "PTE_TAMPER"])
        #expect(runs[1]["results"]?.arrayValue?.isEmpty == true)
        #expect(runs[0]["invocations"]?.arrayValue?.first?["executionSuccessful"] == .bool(true))
        #expect(runs[0]["artifacts"]?.arrayValue?.first?["location"]?["uri"]?.stringValue == "drivers/my%20drv.sys")
        let driver = runs[0]["properties"]?["drivers"]?.arrayValue?.first
        #expect(driver?["coverage"]?["completed"]?.intValue == 1)
        #expect(driver?["verdict"]?.stringValue == "incompatible")
    }

    @Test func oneRulePerCodeAndEachResultPointsAtItsRule() throws {
        let run = try #require(try log()["runs"]?.arrayValue?.first)
        let rules = (run["tool"]?["driver"]?["rules"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        #expect(rules == ["0x2003", "CODE_PAGE_WRITE", "NX_COMPAT_MISSING", "PTE_TAMPER"])
        for result in run["results"]?.arrayValue ?? [] {
            let index = Int(try #require(result["ruleIndex"]?.intValue))
            #expect(rules[index] == result["ruleId"]?.stringValue)
        }
        let rule = try #require(run["tool"]?["driver"]?["rules"]?.arrayValue?[1])
        #expect(rule["helpUri"]?.stringValue?.hasPrefix(RuleCatalog.documentationBase) == true)
        #expect(rule["properties"]?["bugCheck"]?.stringValue == "0xBE")
    }

    @Test func levelsFingerprintsSuppressionsAndMessages() throws {
        let results = try #require(try log()["runs"]?.arrayValue?.first?["results"]?.arrayValue)
        #expect(results.map { $0["level"]?.stringValue ?? "" } == ["error", "note", "error", "error", "warning"])
        #expect(results[0]["partialFingerprints"]?[SarifReport.fingerprintKey]?.stringValue == "f0")
        #expect(results[2]["suppressions"] == nil)
        #expect(results[3]["suppressions"]?.arrayValue?.first?["kind"]?.stringValue == "external")
        #expect(results[0]["message"]?["text"]?.stringValue == "executable and writable section. Fix: split it")
    }

    @Test func runTimeFindingsCarryTheirStackAsACodeFlowAndAddressesAsRVAs() throws {
        let results = try #require(try log()["runs"]?.arrayValue?.first?["results"]?.arrayValue)
        #expect(results[0]["codeFlows"] == nil)
        let steps = try #require(results[2]["codeFlows"]?.arrayValue?.first?["threadFlows"]?.arrayValue?.first?["locations"]?.arrayValue)
        #expect(steps.count == 2)
        let site = steps[0]["location"]?["physicalLocation"]?["address"]
        #expect(site?["name"]?.stringValue == "0xfffff8064000102a")
        #expect(site?["relativeAddress"]?.intValue == 0x102a)
        #expect(steps[1]["location"]?["logicalLocations"]?.arrayValue?.first?["name"]?.stringValue == "GsDriverEntry")
        let primary = results[2]["locations"]?.arrayValue?.first
        #expect(primary?["logicalLocations"]?.arrayValue?.first?["name"]?.stringValue == "DriverEntry")
        // The static W+X finding is placed at its section's RVA.
        #expect(results[0]["locations"]?.arrayValue?.first?["physicalLocation"]?["address"]?["relativeAddress"]?.intValue == 0x2000)
    }

    @Test func noIntegerExceedsWhatJavaScriptHoldsExactly() throws {
        func largest(_ value: JSONValue) -> Int64 {
            switch value {
            case .int(let v): return abs(v)
            case .unsigned: return .max
            case .array(let items): return items.map(largest).max() ?? 0
            case .object(let members): return members.map { largest($0.1) }.max() ?? 0
            default: return 0
            }
        }
        #expect(largest(try log()) <= 1 << 53)
    }

    @Test func aCheckReportGivesOneImageChecksRun() throws {
        let document = try FormatFixtures.document("""
        { "image": { "path": "a:b.sys", "sha256": "" }, "findings": [], "verdict": "compatible" }
        """)
        let runs = try #require(try JSONValue.parse(Array(SarifReport.render([document]).utf8))["runs"]?.arrayValue)
        #expect(runs.count == 1)
        #expect(runs[0]["properties"]?["configuration"]?.stringValue == SarifReport.staticConfiguration)
        #expect(runs[0]["artifacts"]?.arrayValue?.first?["location"]?["uri"]?.stringValue == "a%3Ab.sys")
    }
}
