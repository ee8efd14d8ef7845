import Foundation
import JSON
import Testing

/// `hvcisim explain`: one entry, the list, JSON, and an unknown code.
struct ExplainCommandTests {
    @Test func explainsADriverVerifierCode() throws {
        let result = try runHVCISim(["explain", "0x2000"])
        #expect(result.status == 0)
        for text in ["0x2000", "NonPagedPoolNx", "memory integrity", "Driver Verifier", "nonpaged-pool", "docs/ddi-checks.md"] {
            #expect(result.stdout.contains(text), "\(text)")
        }
    }

    @Test func explainsABugCheckByShortHex() throws {
        let result = try runHVCISim(["explain", "c4"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("0xC4 — DRIVER_VERIFIER_DETECTED_VIOLATION"))
        let slash = try runHVCISim(["explain", "0xC4/0x2003"])
        #expect(slash.stdout.hasPrefix("0x2003 — "))
    }

    @Test func listsEveryCodeByFamily() throws {
        let result = try runHVCISim(["explain"])
        #expect(result.status == 0)
        for text in ["Driver Verifier code-integrity codes", "Bug checks", "0x2005", "DATA_EXECUTION", "INIT_SECTION_WX", "0xFC"] {
            #expect(result.stdout.contains(text), "\(text)")
        }
    }

    @Test func unknownCodeIsOneLineOnStandardErrorAndStatusTwo() throws {
        let result = try runHVCISim(["explain", "NOT_A_CODE"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("NOT_A_CODE") && result.stderr.contains("hvcisim explain"))
    }

    @Test func jsonForOneEntryAndForTheList() throws {
        let one = try runHVCISim(["explain", "DATA_EXECUTION", "--format", "json"])
        #expect(one.status == 0)
        let entry = try JSONValue.parse(Array(one.stdout.utf8))
        #expect(entry["code"]?.stringValue == "DATA_EXECUTION")
        #expect(entry["family"]?.stringValue == "run-time")
        #expect(entry["samples"]?.arrayValue?.isEmpty == false)
        let list = try runHVCISim(["explain", "--format", "json"])
        let families = try JSONValue.parse(Array(list.stdout.utf8))["families"]?.arrayValue ?? []
        #expect(families.count == 4)
        #expect(families.contains { $0["codes"]?.arrayValue?.contains { $0["code"]?.stringValue == "0x2003" } == true })
    }

    @Test func tooManyArgumentsIsAUsageError() throws {
        let result = try runHVCISim(["explain", "0x2000", "0x2001"])
        #expect(result.status == 2)
    }
}
