/// One entry of `hvcisim explain`: what a finding code or bug check means, what Windows does
/// with it under each of the two switches (memory integrity and Driver Verifier's code-integrity
/// option, DESIGN.md §2.5), how drivers usually get there, and how to fix it.
///
/// Statements about Windows are either Microsoft's (the page named in `sources`) or marked as
/// the project's model; where Microsoft is silent the entry says so.
public struct Explanation: Sendable {
    /// The families `hvcisim explain` groups its list by.
    public enum Family: String, Sendable, CaseIterable {
        case driverVerifier = "driver-verifier"
        case runtime = "run-time"
        case staticNote = "static"
        case bugCheck = "bug-check"

        public var heading: String {
            switch self {
            case .driverVerifier: "Driver Verifier code-integrity codes (bug check 0xC4, parameter 1)"
            case .runtime: "Run-time findings (traps and watched state)"
            case .staticNote: "Static notes (from the file alone)"
            case .bugCheck: "Bug checks"
            }
        }
    }

    /// As the report writes it: "0x2003", "DATA_EXECUTION", or a bug check "0xC4".
    public var code: String
    public var family: Family
    /// One line.
    public var title: String
    /// Other names the lookup accepts (a bug check's symbolic name).
    public var aliases: [String] = []
    /// The rule that was broken, and what the report's parameters or details hold.
    public var rule: String
    /// What Windows does: memory integrity on/off, Driver Verifier's code-integrity option on/off.
    public var windows: String
    public var causes: String
    public var fix: String
    /// A short C fragment showing the fix.
    public var snippet: String
    /// Samples (Samples/bin or Samples/hostile/bin) that show it.
    public var samples: [String] = []
    /// Pages under docs/ to read.
    public var docs: [String] = []
    /// Microsoft pages (by title) and project facts the entry rests on.
    public var sources: [String] = []
}

/// The catalog and its lookup.
public enum Explanations {
    /// Every entry, in list order: Driver Verifier codes, run-time findings, static notes, bug checks.
    public static let all: [Explanation] = driverVerifierCodes + runtimeCodes + staticNotes + bugChecks

    /// The entry for a code as a user types it: "0x2000", "2000", "0xC4/0x2000", "C4", "0xbe",
    /// "DATA_EXECUTION", "page_fault_in_nonpaged_area" (case does not matter). A hexadecimal number
    /// in 0x2000–0x2005 is Driver Verifier's subcode; any other number is a bug check.
    public static func lookup(_ query: String) -> Explanation? {
        var text = query.trimmingSpaces.uppercased()
        // "0xC4/0x2000": the subcode decides; "0xC4/" alone is the bug check.
        if let slash = text.lastIndex(of: "/") {
            let tail = String(text[text.index(after: slash)...])
            text = tail.isEmpty ? String(text[..<slash]) : tail
        }
        if let byName = all.first(where: { $0.code.uppercased() == text || $0.aliases.contains(text) }) { return byName }
        let digits = text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
        guard !digits.isEmpty, let value = UInt32(digits, radix: 16) else { return nil }
        return all.first { entry in entry.number == value }
    }

    /// The number an entry stands for ("0xC4" → 0xC4, "0x2000" → 0x2000), nil for named codes.
    static func number(of code: String) -> UInt32? {
        code.hasPrefix("0x") ? UInt32(code.dropFirst(2), radix: 16) : nil
    }
}

extension Explanation {
    var number: UInt32? { Explanations.number(of: code) }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines (no Foundation here).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
