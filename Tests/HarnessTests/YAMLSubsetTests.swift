import Harness
import JSON
import Testing

struct YAMLSubsetTests {
    @Test func readsMappingsSequencesScalarsAndFlowLists() throws {
        let text = """
        # a comment
        drivers:
          - path: "a b.sys"   # trailing comment
            name: it's
            scenarios:
            - name: x
              hvci: off
              codes: [0x2000, "DATA_EXECUTION", 3]
              n: 12
              t: 0.5
              flag: true
              none: ~
        """
        let (value, lines) = try YAMLSubset.parse(text)
        let driver = try #require(value["drivers"]?.arrayValue?.first)
        #expect(driver["path"]?.stringValue == "a b.sys")
        #expect(driver["name"]?.stringValue == "it's")
        let scenario = try #require(driver["scenarios"]?.arrayValue?.first)
        // on/off and hex stay strings as written; decimal numbers, booleans and null are typed.
        #expect(scenario["hvci"]?.stringValue == "off")
        #expect(scenario["codes"] == .array([.string("0x2000"), .string("DATA_EXECUTION"), .int(3)]))
        #expect(scenario["n"] == .int(12))
        #expect(scenario["t"] == .fraction("0.5"))
        #expect(scenario["flag"] == .bool(true))
        #expect(scenario["none"] == .null)
        #expect(lines["drivers[0].scenarios[0].hvci"] == 7)
        #expect(lines["drivers[0].name"] == 4)
    }

    @Test func refusesWhatItDoesNotReadWithTheLine() {
        let cases: [(String, Int, String)] = [
            ("a: &x 1\n", 1, "anchors"),
            ("a: 1\nb: *x\n", 2, "aliases"),
            ("a: !tag 1\n", 1, "tags"),
            ("a: |\n  text\n", 1, "block scalars"),
            ("a: 1\n---\nb: 2\n", 2, "second document"),
            ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
            ("a:\n\tb: 1\n", 2, "tab"),
            ("a: 1\n   b: 2\n", 2, "unexpected indentation"),
            ("a: \"open\n", 1, "unterminated"),
            ("a: {b: 1}\n", 1, "flow mappings"),
            ("a: [1, [2]]\n", 1, "nested flow lists"),
            ("- a\nb: 1\n", 2, "expected a sequence item"),
        ]
        for (text, line, words) in cases {
            #expect(throws: YAMLSubset.Failure.self) { _ = try YAMLSubset.parse(text) }
            do {
                _ = try YAMLSubset.parse(text)
            } catch {
                #expect(error.line == line, "\(text)")
                #expect(error.message.contains(words), "\(text): \(error.message)")
            }
        }
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        var text = ""
        for depth in 0..<200 { text += String(repeating: " ", count: depth) + "k:\n" }
        #expect(throws: YAMLSubset.Failure.self) { _ = try YAMLSubset.parse(text) }
    }

    @Test func manifestErrorsNameTheLineInYAMLAndJSON() {
        let yaml = "drivers:\n  - path: a.sys\n    scenarios:\n      - name: ioctl\n        hvcii: on\n"
        #expect(throws: ManifestError(file: "m.yaml", line: 5,
                                      message: "scenario has unknown key 'hvcii' (known: name, hvci, verifier, mode, ioctls, outputSize, discoverIoctls, registry, limits, expect)")) {
            _ = try Manifest.parse(Array(yaml.utf8), file: "m.yaml")
        }
        let json = "{\n \"drivers\": [\n  {\"path\": \"a.sys\",\n   \"scenarios\": [{\"name\": \"x\",\n    \"mode\": \"fast\"}]}]}"
        do {
            _ = try Manifest.parse(Array(json.utf8), file: "m.json")
            Issue.record("accepted mode fast")
        } catch {
            #expect(error.line == 5)
            #expect(error.message.contains("mode must be one of audit, enforce"))
        }
    }
}
