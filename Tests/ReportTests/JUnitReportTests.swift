import Foundation
@testable import Report
import Testing

struct JUnitReportTests {
    func xml(failOn: String) throws -> String {
        JUnitReport.render([try FormatFixtures.document(FormatFixtures.runReport)], failOn: failOn)
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func failuresFollowFailOnAndLeaveOutSuppressedFindings() throws {
        let errors = try xml(failOn: "error")
        // 0x2003 (static) and the unsuppressed CODE_PAGE_WRITE; the suppressed one never counts.
        #expect(count("<failure ", in: errors) == 2)
        #expect(errors.contains("<testsuites name=\"hvcisim\" tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\">"))
        let notes = try xml(failOn: "note")
        // Plus NX_COMPAT_MISSING (note) and PTE_TAMPER (warning), which also un-skips IRP_MJ_CREATE.
        #expect(count("<failure ", in: notes) == 4)
        #expect(notes.contains("tests=\"4\" failures=\"4\" errors=\"0\" skipped=\"0\""))
        #expect(try xml(failOn: "warning").contains("failures=\"3\""))
    }

    @Test func casesPerEntryPointAndConfigurationAndSkippedForALimit() throws {
        let text = try xml(failOn: "error")
        #expect(text.contains("<testcase name=\"image checks\" classname=\"drivers/my drv.sys\""))
        #expect(text.contains("<testcase name=\"DriverEntry\" classname=\"drivers/my drv.sys [hvci on, verifier on, audit]\">"))
        #expect(text.contains("<testcase name=\"DriverEntry\" classname=\"drivers/my drv.sys [hvci off, verifier on, audit]\"/>"))
        #expect(text.contains("<skipped message=\"timeout: ran for 10 s\"/>"))
    }

    @Test func hostileStringsAreEscapedAndForbiddenCharactersDropped() throws {
        let text = try xml(failOn: "error")
        #expect(text.contains("message=\"CODE_PAGE_WRITE evil &lt;tag&gt; &amp; &quot;quote&quot; \u{FFFD}\u{FFFD} bell\u{FFFD}\""))
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        // The CLI test (FormatOutputTests) has junitparser read the result as XML.
    }

    @Test func aRefusedLoadFailsAndAToolLoadFailureIsSkipped() throws {
        let refused = JUnitReport.render([try FormatFixtures.document(FormatFixtures.refused(kind: "code-integrity"))], failOn: "error")
        #expect(refused.contains("<testcase name=\"load\" classname=\"bad.sys [hvci on, verifier on, audit]\">"))
        #expect(refused.contains("type=\"code-integrity\""))
        #expect(refused.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""))
        let tool = JUnitReport.render([try FormatFixtures.document(FormatFixtures.refused(kind: "tool"))], failOn: "error")
        #expect(count("<failure ", in: tool) == 0)
        #expect(tool.contains("tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\""))
    }

    @Test func xmlTextKeepsWhatXMLAllows() {
        #expect(XMLText.escaped("a\tb\nc", attribute: true) == "a&#9;b&#10;c")
        #expect(XMLText.escaped("a\tb\nc") == "a\tb\nc")
        #expect(XMLText.escaped("\u{0}\u{FFFE}é𝄞") == "\u{FFFD}\u{FFFD}é𝄞")
    }
}
