import Events
import PEImage

/// The human-readable form of reports, in the words Windows driver
/// developers know from Driver Verifier: `0xC4/0x2003  title  section`.
public enum TextReport {
    /// `verdictLabel`: "verdict" for `check`, where the image checks are the verdict; a run
    /// report names them "image checks" so that they are not read as the run's verdict.
    public static func render(_ report: ImageReport, verdictLabel: String = "verdict") -> String {
        let pe = report.image
        let oh = pe.optionalHeader
        let counts = Severity.allCases.reversed().compactMap { severity -> String? in
            let n = report.findings.filter { $0.severity == severity }.count
            return n == 0 ? nil : "\(n) \(severity.rawValue)\(n == 1 ? "" : "s")"
        }
        var lines = [
            "\(report.path)",
            "  \(pe.machine) \(pe.is64Bit ? "PE32+" : "PE32") \(oh.subsystem), image base \(hex(oh.imageBase)), size \(hex(oh.sizeOfImage)), \(pe.sections.count) sections, sha256 \(report.sha256.prefix(16))…",
            "  \(verdictLabel): \(report.verdict.rawValue)" + (counts.isEmpty ? "" : " (\(counts.joined(separator: ", ")))"),
        ]
        for finding in report.findings {
            lines.append(contentsOf: render(finding).map { "  " + $0 })
        }
        return lines.joined(separator: "\n")
    }

    /// Two lines: what and where, then the fix.
    public static func render(_ f: Finding) -> [String] {
        let code = f.bugCheck.map { bc in
            bc.code == BugCheck.driverVerifierViolation ? "\(hex(bc.code))/\(f.code)" : "\(hex(bc.code)) \(f.code)"
        } ?? f.code
        var where_ = f.section.map { "  \(printable($0))" } ?? ""
        if let header = f.details.first(where: { $0.key == "sectionHeader" }) {
            where_ += "  (section header at \(header.value))"
        } else if let iat = f.details.first(where: { $0.key == "iat" }) {
            where_ += "  (IAT at \(iat.value))"
        }
        let severity = f.severity.rawValue + String(repeating: " ", count: max(0, 7 - f.severity.rawValue.count))
        var lines = ["\(severity) \(code)  \(f.title)\(where_)"]
        if let bc = f.bugCheck {
            lines.append("        bug check \(BugCheck.describe(bc.code)) (\(bc.parameters.map(printable).joined(separator: ", ")))")
        }
        lines.append("        fix: \(f.fix)")
        return lines
    }
}
