import Foundation
import Testing

/// `run` takes several drivers, as `check` does: one report each, combined exit status.
struct RunSeveralDriversTests {
    @Test func twoDriversGiveTheWrapperAndTheWorseStatus() throws {
        let result = try runHVCISim(["run", TestPaths.sample("compliant"), TestPaths.sample("rwx-section"), "--format", "json"])
        #expect(result.status == 1)  // compatible-with-notes (0) and incompatible (1): 1
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let reports = try #require(document["reports"] as? [[String: Any]])
        #expect(reports.count == 2)
        #expect(reports.compactMap { ($0["image"] as? [String: Any])?["path"] as? String }
                    == [TestPaths.sample("compliant"), TestPaths.sample("rwx-section")])
        #expect(reports.map { $0["verdict"] as? String } == ["compatible-with-notes", "incompatible"])
        #expect((document["failures"] as? [Any])?.isEmpty == true)
    }

    @Test func anUnreadableDriverIsAFailureAndTheOthersStillRun() throws {
        let result = try runHVCISim(["run", TestPaths.sample("compliant"), "/nonexistent/x.sys", "--format", "json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/x.sys"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((document["reports"] as? [Any])?.count == 1)
        #expect(((document["failures"] as? [[String: Any]])?.first?["path"] as? String) == "/nonexistent/x.sys")
    }

    @Test func textReportsFollowEachOther() throws {
        let result = try runHVCISim(["run", TestPaths.sample("compliant"), TestPaths.sample("rwx-section")])
        #expect(result.status == 1)
        #expect(result.stdout.components(separatedBy: "overall verdict:").count == 3)
    }
}
