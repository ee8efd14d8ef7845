import Events
import PEImage

/// The JSON form of reports (layout: docs/report-schema.md).
public enum JSONReport {
    /// One analysed file: a complete report object.
    public static func document(for report: ImageReport) -> JSONValue {
        .object(header() + body(report))
    }

    /// Several files: a wrapper with one report per analysed file and one
    /// entry per file that could not be analysed.
    public static func document(for reports: [ImageReport], failures: [(path: String, error: String)]) -> JSONValue {
        .object(header() + [
            ("reports", .array(reports.map { .object(body($0)) })),
            ("failures", .array(failures.map { .object([("path", .string($0.path)), ("error", .string($0.error))]) })),
        ])
    }

    static func header() -> [(String, JSONValue)] {
        [("schemaVersion", .string(ReportSchema.version)),
         ("tool", .object([("name", .string(Tool.name)), ("version", .string(Tool.version))]))]
    }

    static func body(_ report: ImageReport) -> [(String, JSONValue)] {
        [("image", image(report)),
         ("findings", .array(report.findings.map(finding))),
         ("verdict", .string(report.verdict.rawValue))]
    }

    static func image(_ report: ImageReport) -> JSONValue {
        let pe = report.image
        let oh = pe.optionalHeader
        return .object([
            ("path", .string(report.path)),
            ("sha256", .string(report.sha256)),
            ("machine", .string(pe.machine.description)),
            ("format", .string(pe.is64Bit ? "PE32+" : "PE32")),
            ("subsystem", .string(oh.subsystem.description)),
            ("imageBase", .string(hex(oh.imageBase))),
            ("entryPoint", .string(hex(oh.addressOfEntryPoint))),
            ("sizeOfImage", .int(oh.sizeOfImage)),
            ("sectionAlignment", .int(oh.sectionAlignment)),
            ("fileAlignment", .int(oh.fileAlignment)),
            ("dllCharacteristics", .string(hex(oh.dllCharacteristics))),
            ("signed", .bool(pe.hasSignature)),
            ("pdbPath", .optional(pe.pdbPath)),
            ("securityCookie", .optional(pe.loadConfig.flatMap { $0.securityCookieVA == 0 ? nil : hex($0.securityCookieVA) })),
            ("sections", .array(pe.sections.map { s in
                .object([("name", .string(s.name)), ("rva", .string(hex(s.virtualAddress))),
                         ("virtualSize", .int(s.virtualSize)), ("rawSize", .int(s.sizeOfRawData)),
                         ("characteristics", .string(hex(s.characteristics))), ("permissions", .string(s.permissions))])
            })),
            ("imports", .array((pe.imports + pe.delayImports).map { m in
                .object([("module", .string(m.name)), ("delayLoaded", .bool(m.isDelayLoaded)),
                         ("functions", .array(m.functions.map { .string($0.displayName) }))])
            })),
            ("exports", .int(pe.exports?.functions.count ?? 0)),
        ])
    }

    public static func finding(_ f: Finding) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("code", .string(f.code)), ("title", .string(f.title)), ("severity", .string(f.severity.rawValue)),
            ("phase", .string(f.phase.rawValue)), ("section", .optional(f.section)),
        ]
        if let bc = f.bugCheck {
            members.append(("bugCheck", .object([("code", .string(hex(bc.code))),
                                                 ("parameters", .array(bc.parameters.map(JSONValue.string)))])))
        } else {
            members.append(("bugCheck", .null))
        }
        members.append(("fix", .string(f.fix)))
        members.append(("details", .object(f.details.map { ($0.key, .string($0.value)) })))
        return .object(members)
    }
}
