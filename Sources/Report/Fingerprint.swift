import Events
import PEImage

/// A finding's identity across rebuilds of the same driver, for baselines, `diff` and SARIF's
/// `partialFingerprints`: the code, the entry point it was raised in, and the place in code
/// named by symbol (the DDI called, or the driver function), never by address. Offsets inside
/// a function and addresses (anything hex longer than 8 digits) are left out, since a rebuild
/// moves them; so two findings of one code in one function share a fingerprint, by design.
public enum Fingerprint {
    /// 32 hex digits (the first 128 bits of SHA-256 over "code|entry point|place").
    public static func of(_ finding: Finding, entryPoint: String?) -> String {
        let key = [finding.code, entryPoint.map(normalized) ?? "", place(of: finding)].joined(separator: "|")
        return String(SHA256.hexDigest(Array(key.utf8)).prefix(32))
    }

    /// Where the finding is, in words that survive a rebuild: the DDI for calls checked by
    /// Driver Verifier, else the first driver function on the site and stack, else the section.
    static func place(of finding: Finding) -> String {
        if let function = finding.details.first(where: { $0.key == "function" })?.value { return function }
        for site in [finding.site].compactMap({ $0 }) + finding.stack {
            if let function = functionName(site.symbol) { return function }
        }
        return finding.section.map { "section " + $0 } ?? ""
    }

    /// "drv.sys!.text+0x35 (DriverEntry+0x35)" → "DriverEntry"; "drv.sys!Helper+0x10" →
    /// "drv.sys!Helper"; a symbol without a name (a pool block, "0x…") → nil.
    static func functionName(_ symbol: String) -> String? {
        var text = symbol
        if let open = text.lastIndex(of: "("), let close = text.lastIndex(of: ")"), open < close {
            text = String(text[text.index(after: open)..<close])
        }
        if let plus = text.firstIndex(of: "+") { text = String(text[..<plus]) }
        text = normalized(text)
        let name = text.split(separator: "!").last.map(String.init) ?? text
        guard !name.isEmpty, !name.hasPrefix("0x"), !name.hasPrefix("."), !text.contains(" ") else { return nil }
        return text
    }

    /// Hex numbers of more than 8 digits (addresses) replaced by "0x…"; IOCTL codes and
    /// statuses (8 digits or fewer) kept.
    public static func normalized(_ text: String) -> String {
        let chars = Array(text)
        var out = ""
        var index = 0
        while index < chars.count {
            if chars[index] == "0", index + 1 < chars.count, chars[index + 1] == "x" {
                var end = index + 2
                while end < chars.count, chars[end].isHexDigit { end += 1 }
                out += end - index - 2 > 8 ? "0x…" : String(chars[index..<end])
                index = end
            } else {
                out.append(chars[index])
                index += 1
            }
        }
        return out
    }
}
