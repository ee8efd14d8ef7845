import Foundation
import Testing

/// `hvcisim run` reports Windows' load rules: where the image was mapped, and for an
/// image Windows refuses, the NTSTATUS the caller of ZwLoadDriver would get.
struct LoadRulesCommandTests {
    static let refused = "Samples/bin/iat-in-exec-section.sys"

    @Test func iatInCodeIsRefusedWithHVCIWithItsStatusAndRunsWithout() throws {
        let result = try runHVCISim(["run", Self.refused, "--hvci", "both", "--format", "json"],
                                    currentDirectory: TestPaths.packageRoot)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        #expect(runs[0]["loaded"] as? Bool == false)
        let status = try #require(runs[0]["loadStatus"] as? [String: Any])
        #expect(status["status"] as? String == "0xc0000428")
        #expect(status["statusName"] as? String == "STATUS_INVALID_IMAGE_HASH")
        #expect((runs[0]["entryPoints"] as? [Any])?.isEmpty == true)
        #expect(runs[1]["loaded"] as? Bool == true)
        #expect(runs[1]["loadStatus"] is NSNull)
        #expect(runs[1]["imageBase"] as? String == "0xfffff80640000000")
        let entry = try #require((runs[1]["entryPoints"] as? [[String: Any]])?.first)
        #expect((entry["outcome"] as? [String: Any])?["statusName"] as? String == "STATUS_SUCCESS")
    }

    @Test func textNamesTheStatusOfARefusedLoad() throws {
        let result = try runHVCISim(["run", Self.refused], currentDirectory: TestPaths.packageRoot)
        #expect(result.stdout.contains("not loaded: Code Integrity refused the image: "))
        #expect(result.stdout.contains("(DV 0x2005) (STATUS_INVALID_IMAGE_HASH)"))
    }

    @Test func preferredBaseKeepsTheFilesImageBaseAndRelocateIsAccepted() throws {
        let preferred = try runHVCISim(["run", "Samples/bin/compliant.sys", "--preferred-base"],
                                       currentDirectory: TestPaths.packageRoot)
        #expect(preferred.stdout.contains("loaded at 0x140000000"))
        let relocate = try runHVCISim(["run", "Samples/bin/compliant.sys", "--relocate"],
                                      currentDirectory: TestPaths.packageRoot)
        #expect(relocate.status == 0)
        #expect(relocate.stdout.contains("loaded at 0xfffff80640000000"))
    }
}
