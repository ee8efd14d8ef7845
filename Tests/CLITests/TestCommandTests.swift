import Foundation
import Testing

/// `hvcisim test MANIFEST`: the Samples' manifest passes (this is CI's run of it), a wrong
/// expectation fails with a readable line, a bad manifest is one line with status 2.
struct TestCommandTests {
    func manifest(_ text: String, name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hvcisim-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.sample("compliant"), toPath: folder.appendingPathComponent("compliant.sys").path)
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func samplesManifestPasses() throws {
        let result = try runHVCISim(["test", "Samples/manifest.yaml"], currentDirectory: TestPaths.packageRoot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("0 failed"))
    }

    @Test func wrongExpectationFailsWithTheReason() throws {
        let path = try manifest("""
        drivers:
          - path: compliant.sys
            scenarios:
              - name: wrong
                expect:
                  verdict: incompatible
                  codes: ["0x2000"]
        """, name: "m.yaml")
        let result = try runHVCISim(["test", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL compliant.sys wrong (compatible-with-notes"))
        #expect(result.stdout.contains("    expected verdict incompatible, got compatible-with-notes"))
        #expect(result.stdout.contains("expected code 0x2000, not found (codes seen: DDI_RUNTIME_CHECK)"))
        #expect(result.stdout.contains("1 scenario: 0 passed, 1 failed"))
        let junit = try runHVCISim(["test", path, "--format", "junit"])
        #expect(junit.status == 1)
        #expect(junit.stdout.contains("<failure message=\"expected verdict incompatible, got compatible-with-notes\""))
    }

    @Test func jsonManifestWorksAsYAML() throws {
        let path = try manifest("""
        {"drivers": [{"path": "compliant.sys", "scenarios": [
          {"name": "ok", "hvci": "on", "mode": "enforce",
           "expect": {"verdict": "compatible-with-notes", "exitStatus": 0,
                      "entryPoints": {"DriverEntry": {"outcome": "returned", "status": "STATUS_SUCCESS"}}}}]}]}
        """, name: "m.json")
        let result = try runHVCISim(["test", path, "--format", "json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let results = try #require(document["results"] as? [[String: Any]])
        #expect(results.count == 1)
        #expect(results.first?["passed"] as? Bool == true)
    }

    @Test func badManifestsAreOneLineNamingTheLine() throws {
        let cases: [(String, String)] = [
            ("drivers:\n  - path: compliant.sys\n    scenarios:\n      - name: a\n        hvcii: on\n", ":5: scenario has unknown key 'hvcii'"),
            ("drivers:\n  - path: missing.sys\n    scenarios:\n      - name: a\n", ":2: driver "),
            ("drivers:\n  - path: compliant.sys\n    scenarios: &x\n", ":3: anchors"),
        ]
        for (text, words) in cases {
            let path = try manifest(text, name: "bad.yaml")
            let result = try runHVCISim(["test", path])
            #expect(result.status == 2, "\(text)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("bad.yaml" + words), "\(result.stderr)")
        }
    }
}
