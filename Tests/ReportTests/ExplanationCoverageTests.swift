import Events
import Foundation
import Report
import Testing

/// Every code the tool can emit has an `hvcisim explain` entry. The codes are found in the
/// sources themselves, so a new finding code or bug check without an entry fails here by name.
struct ExplanationCoverageTests {
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// (file, text) of every Swift file under Sources/.
    static func swiftFiles() throws -> [(String, String)] {
        let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        var files: [(String, String)] = []
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "swift" { files.append((url.path, try String(contentsOf: url, encoding: .utf8))) }
        }
        return files
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// Finding codes: every `code: "…"` literal, and every SCREAMING_SNAKE literal in a file that
    /// builds findings (codes passed through helpers such as `describe` or `finding("CR0_…")`).
    static func findingCodes() throws -> Set<String> {
        var codes = Finding.verifierCodes
        for (_, text) in try swiftFiles() {
            codes.formUnion(matches(#"\bcode: "([A-Za-z0-9_]+)"(?!\s*\+)"#, in: text))
            if text.contains("Finding(") || text.contains("hyperGuardCodes") {
                codes.formUnion(matches(#""([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)""#, in: text))
            }
        }
        return codes
    }

    /// Bug checks: the named ones, every literal `bugCheck(code: 0x…)` / `BugCheck(code: 0x…)`,
    /// and the hardware-level constants of the memory model (Violation).
    static func bugCheckCodes() throws -> Set<UInt32> {
        var codes = Set(BugCheck.names.keys)
        codes.insert(BugCheck.driverVerifierViolation)
        for (path, text) in try swiftFiles() {
            var found = matches(#"[bB]ugCheck\(code: *0x([0-9A-Fa-f]+)"#, in: text)
            if path.hasSuffix("Memory/Violation.swift") { found += matches(#"static let \w+: UInt32 = 0x([0-9A-Fa-f]+)"#, in: text) }
            codes.formUnion(found.compactMap { UInt32($0, radix: 16) })
        }
        return codes
    }

    @Test func theScanFindsTheKnownCodes() throws {
        let codes = try Self.findingCodes()
        for code in ["0x2003", "0x2005", "CODE_PAGE_WRITE", "DATA_EXECUTION", "PTE_TAMPER", "LSTAR_WRITE",
                     "CR0_WP_CLEARED", "OB_OVER_DEREFERENCE", "EMULATOR_INTERNAL", "NX_COMPAT_MISSING"] {
            #expect(codes.contains(code), "\(code)")
        }
        let bugChecks = try Self.bugCheckCodes()
        for code: UInt32 in [0xBE, 0xFC, 0x50, 0xC4, 0x1E, 0x139, 0x101, 0x10D, 0xE3] { #expect(bugChecks.contains(code)) }
    }

    @Test func everyFindingCodeHasAnEntry() throws {
        // Upper-case literals in finding-building files that are not codes: the page-protection
        // names Sources/Kernel/DriverVerifier.swift writes into 0x2001's details.
        let isNotACode = { (literal: String) in literal.hasPrefix("PAGE_") }
        let missing = try Self.findingCodes().filter { !isNotACode($0) && Explanations.lookup($0) == nil }
        #expect(missing.isEmpty, "no explain entry for: \(missing.sorted().joined(separator: ", "))")
    }

    @Test func everyBugCheckHasAnEntry() throws {
        let missing = try Self.bugCheckCodes().filter { code in
            Explanations.lookup("0x" + String(code, radix: 16))?.family != .bugCheck
        }
        #expect(missing.isEmpty, "no explain entry for bug checks: \(missing.sorted().map { "0x" + String($0, radix: 16) })")
    }

    @Test func entriesAreComplete() {
        #expect(Set(Explanations.all.map { $0.code.uppercased() }).count == Explanations.all.count)
        for entry in Explanations.all {
            #expect(!entry.rule.isEmpty && !entry.windows.isEmpty && !entry.causes.isEmpty && !entry.fix.isEmpty
                        && !entry.snippet.isEmpty && !entry.docs.isEmpty, "\(entry.code)")
            for page in entry.docs where page.hasPrefix("docs/") {
                let url = Self.sources.deletingLastPathComponent().appendingPathComponent(page)
                #expect(FileManager.default.fileExists(atPath: url.path), "\(entry.code): \(page)")
            }
        }
    }

    @Test func samplesNamedExist() {
        let root = Self.sources.deletingLastPathComponent().appendingPathComponent("Samples")
        for entry in Explanations.all {
            for sample in entry.samples {
                let name = String(sample.split(separator: " ").first ?? "")
                let hostile = sample.contains("(hostile)")
                let path = root.appendingPathComponent(hostile ? "hostile/bin/\(name).sys" : "bin/\(name).sys").path
                #expect(FileManager.default.fileExists(atPath: path), "\(entry.code): \(sample)")
            }
        }
    }

    @Test func lookupAcceptsTheUsualSpellings() {
        #expect(Explanations.lookup("0x2000")?.code == "0x2000")
        #expect(Explanations.lookup("2000")?.code == "0x2000")
        #expect(Explanations.lookup("0xC4/0x2003")?.code == "0x2003")
        #expect(Explanations.lookup("c4/2005")?.code == "0x2005")
        #expect(Explanations.lookup("C4")?.code == "0xC4")
        #expect(Explanations.lookup("0xbe")?.code == "0xBE")
        #expect(Explanations.lookup("data_execution")?.code == "DATA_EXECUTION")
        #expect(Explanations.lookup("PAGE_FAULT_IN_NONPAGED_AREA")?.code == "0x50")
        #expect(Explanations.lookup(" 0x0000003b ")?.code == "0x3B")
        #expect(Explanations.lookup("NOPE") == nil)
        #expect(Explanations.lookup("") == nil)
    }

    @Test func textIsWrappedAtOneHundredColumns() {
        for entry in Explanations.all {
            let prose = entry.text().split(separator: "\n").filter { !$0.hasPrefix("    ") }
            #expect(prose.allSatisfy { $0.count <= 100 }, "\(entry.code)")
        }
    }
}
