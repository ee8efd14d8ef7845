import XCTest
@testable import Report

/// Driver-controlled text (symbols, pool tags, DbgPrint output) must not become markup.
final class HTMLEscapeTests: XCTestCase {
    func testMarkupQuotesAndControlCharactersAreNeutralised() {
        let hostile = "<script>alert('x')</script>\"&\u{0}\u{7}\u{1B}\u{FFFF}ok\n"
        let escaped = HTMLEscape.text(hostile)
        XCTAssertEqual(escaped, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}ok\n")
        XCTAssertEqual(HTMLEscape.token("rw-\" onload=x"), "rw---onload-x")
    }
}
