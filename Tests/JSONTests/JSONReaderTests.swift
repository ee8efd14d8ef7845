import JSON
import Testing

struct JSONReaderTests {
    func parse(_ text: String) throws(JSONValue.ParseError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func aRenderedDocumentReadsBackToTheSameValue() throws {
        let value = JSONValue.object([
            ("name", .string("a \"quoted\"\nline\u{1}")), ("count", .int(-3)), ("big", .unsigned(UInt64.max)),
            ("ratio", .fraction("0.25")), ("flags", .array([.bool(true), .bool(false), .null])), ("empty", .object([])),
        ])
        let read = try JSONValue.parse(Array(value.rendered().utf8))
        #expect(read == value)
        #expect(read["name"]?.stringValue == "a \"quoted\"\nline\u{1}")
        #expect(read["count"]?.intValue == -3)
        #expect(read["missing"] == nil)
    }

    @Test func surrogatePairsAndEscapesDecode() throws {
        #expect(try parse(#""\ud83d\ude00 \u00e9\/""#).stringValue == "😀 é/")
    }

    /// Strings without a \u escape take the direct UTF-8 path; with one, the UTF-16 path. Both
    /// must keep multi-byte characters, the short escapes, and the order of the parts.
    @Test func stringsWithAndWithoutUnicodeEscapesDecodeTheSame() throws {
        #expect(try parse(#""plain ümlaut 😀 \\ \" \n""#).stringValue == "plain ümlaut 😀 \\ \" \n")
        #expect(try parse(#""ü\u00e9ü\nx\u0041""#).stringValue == "üéü\nxA")
        #expect(try parse("\"\"").stringValue == "")
    }

    @Test func errorsNameLineAndColumn() {
        #expect(throws: JSONValue.ParseError.self) { try parse("{\"a\": [1, 2,]}") }
        do {
            _ = try parse("{\n  \"a\": tru\n}")
            Issue.record("accepted a bad literal")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("line 2, column "))
        }
    }

    @Test func hostileDocumentsAreRefusedNotTrapped() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONValue.ParseError.self) { try parse(deep) }
        #expect(throws: JSONValue.ParseError.self) { try parse("99999999999999999999999") }
        #expect(throws: JSONValue.ParseError.self) { try parse("\"\\u12\"") }
        #expect(throws: JSONValue.ParseError.self) { try parse("{\"a\": 1, \"a\": 2}") }
        #expect(throws: JSONValue.ParseError.self) { try parse("") }
        #expect(throws: JSONValue.ParseError.self) { try parse("1 2") }
    }
}
