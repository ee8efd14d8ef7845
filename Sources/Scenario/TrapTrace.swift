import Events
import Memory

/// The `--trace` block for a trap (one block per trap, on stderr): what happened and where,
/// then both translation levels — the frame, the guest PTE, the SLAT — and their decision.
/// It is read from the finding's `details`, so the trace says exactly what the JSON report says.
/// The first line keeps the `[trap] CODE` prefix that scripts grep for.
enum TrapTrace {
    static func block(for finding: Finding) -> String {
        let details = Dictionary(finding.details.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let target = details["target"] ?? details["page"] ?? finding.site.map { "0x" + String($0.address, radix: 16) } ?? "?"
        var lines = ["[trap] \(finding.code) at \(target)" + (details["owner"].map { " (\($0))" } ?? "")]
        func add(_ label: String, _ text: String?) {
            guard let text else { return }
            lines.append("  " + label + String(repeating: " ", count: max(1, 13 - label.count)) + text)
        }
        add("what", finding.title)
        add("site", finding.site?.symbol)
        add("instruction", finding.instruction)
        // An alias (an MDL mapping of code) shows whose frame it really is.
        add("frame", details["frame"].map { frame in
            frame + (details["physical"].map { " (phys \($0))" } ?? "") + (details["frameOwner"].map { ", frame of \($0)" } ?? "")
        })
        if let before = details["pteBefore"], let after = details["pteAfter"] {
            let bits = details["pteValue"].flatMap(pteBits).map { " (\($0))" } ?? ""
            let change = before == after ? "before = after" : "before \(before) -> after \(after)"
            add("PTE", after + bits + "   " + change + (details["pteValue"].map { "   value \($0)" } ?? ""))
        }
        add("SLAT", details["slat"].map { $0 + "   (" + slatNote($0, hvci: details["hvci"] != "off") + ")" })
        add("decision", details["decision"])
        add("action", details["action"])
        return lines.joined(separator: "\n")
    }

    /// The PTE bits a reader checks first: NX, and U/S (SMEP).
    private static func pteBits(_ value: String) -> String? {
        guard value.hasPrefix("0x"), let raw = UInt64(value.dropFirst(2), radix: 16) else { return nil }
        let entry = PageTableEntry(raw: raw)
        guard entry.present else { return "not present" }
        return (entry.noExecute ? "NX set" : "NX clear") + (entry.user ? ", U/S set" : "")
    }

    /// What the CI verifier's SLAT entry means for the frame.
    private static func slatNote(_ slat: String, hvci: Bool) -> String {
        guard hvci else { return "HVCI off: the SLAT grants everything" }
        if slat == "none" { return "no frame" }
        return slat.contains("x") ? "CI verifier: verified code, never writable" : "CI verifier: not verified code, never executable"
    }
}
