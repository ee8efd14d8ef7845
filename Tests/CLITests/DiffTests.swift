import Foundation
import JSON
import Testing

/// `diff` of two builds of one driver: compliant.sys and compliant-v2.sys, the same source
/// rebuilt with one more violation (Samples/variants/compliant-v2.c: an executable pool
/// allocation, DV 0x2000).
struct DiffTests {
    static let variant = TestPaths.packageRoot.appendingPathComponent("Samples/variants/compliant-v2.sys").path

    func report(_ driver: String) throws -> String {
        let result = try runHVCISim(["run", driver, "--format", "json"])
        return try temporaryFile(Array(result.stdout.utf8), name: "report.json")
    }

    @Test func theRebuiltVariantAddsExactlyOneFinding() throws {
        let old = try report(TestPaths.sample("compliant")), new = try report(Self.variant)
        let result = try runHVCISim(["diff", old, new, "--format", "json"])
        #expect(result.status == 1)  // a new error-level finding
        let diff = try JSONValue.parse(Array(result.stdout.utf8))
        let added = try #require(diff["added"]?.arrayValue)
        #expect(added.count == 1)
        #expect(added.first?["finding"]?["code"]?.stringValue == "0x2000")
        #expect(added.first?["entryPoint"]?.stringValue == "DriverEntry")
        #expect(diff["removed"]?.arrayValue?.isEmpty == true)
        #expect(diff["changed"]?.arrayValue?.isEmpty == true)
        let text = try runHVCISim(["diff", old, new])
        #expect(text.stdout.hasPrefix("+ compliant-v2.sys: error 0x2000 "))
        #expect(text.stdout.contains("verdict: compatible-with-notes → incompatible"))
    }

    @Test func theOtherWayRoundTheFindingIsRemovedAndTheStatusIsZero() throws {
        let old = try report(Self.variant), new = try report(TestPaths.sample("compliant"))
        let result = try runHVCISim(["diff", old, new, "--format", "json"])
        #expect(result.status == 0)
        let diff = try JSONValue.parse(Array(result.stdout.utf8))
        #expect(diff["removed"]?.arrayValue?.count == 1)
        #expect(diff["added"]?.arrayValue?.isEmpty == true)
    }

    @Test func aReportComparedWithItselfHasNoDifferences() throws {
        let old = try report(TestPaths.sample("pool-exec"))
        let result = try runHVCISim(["diff", old, old])
        #expect(result.status == 0)
        #expect(result.stdout == "no differences\n")
    }
}
