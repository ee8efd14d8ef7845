import JSON
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
            ("failures", failuresValue(failures)),
        ])
    }

    /// One entry of the several-files wrapper's `reports` array, rendered at
    /// the depth it has there, so that the caller can keep this string and drop
    /// the report (and the file's bytes) at once. `wrapper(entries:failures:)`
    /// joins the entries; the result is `document(for:failures:).rendered()`.
    public static func wrapperEntry(for report: ImageReport) -> String {
        JSONValue.object(body(report)).rendered(level: 2)
    }

    /// The several-files document, from entries made by `wrapperEntry(for:)`.
    public static func wrapper(entries: [String], failures: [(path: String, error: String)]) -> String {
        var out = JSONWriter(capacity: entries.reduce(1024) { $0 + $1.utf8.count + 8 } + 128 * failures.count)
        out.append("{\n")
        for (key, value) in header() {
            out.indent(1)
            out.writeString(key)
            out.append(": ")
            out.write(value, level: 1)
            out.append(",\n")
        }
        out.indent(1)
        out.append("\"reports\": ")
        if entries.isEmpty {
            out.append("[]")
        } else {
            out.append("[\n")
            for (i, entry) in entries.enumerated() {
                out.indent(2)
                out.appendRaw(entry)
                i + 1 < entries.count ? out.append(",\n") : out.append("\n")
            }
            out.indent(1)
            out.append("]")
        }
        out.append(",\n")
        out.indent(1)
        out.append("\"failures\": ")
        out.write(failuresValue(failures), level: 1)
        out.append("\n}")
        return out.string
    }

    static func failuresValue(_ failures: [(path: String, error: String)]) -> JSONValue {
        .array(failures.map { .object([("path", .string($0.path)), ("error", .string($0.error))]) })
    }

    static func header() -> [(String, JSONValue)] {
        [("schemaVersion", .string(ReportSchema.version)),
         ("tool", .object([("name", .string(Tool.name)), ("version", .string(Tool.version))]))]
    }

    static func body(_ report: ImageReport) -> [(String, JSONValue)] {
        [("image", image(report)),
         ("findings", .array(report.findings.map { finding($0, entryPoint: nil) })),
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

    /// A finding with its fingerprint (Fingerprint.of with the entry point it was raised in;
    /// "load" for the loader's, nil for static ones) and, when the baseline holds that
    /// fingerprint, `"suppressed": true`.
    public static func finding(_ f: Finding, entryPoint: String?, baseline: Set<String> = []) -> JSONValue {
        let fingerprint = Fingerprint.of(f, entryPoint: entryPoint)
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
        if f.phase == .runtime {
            // Where it happened: the DDI's call site or the faulting instruction, then the stack.
            members.append(("site", f.site.map(codeSite) ?? .null))
            members.append(("instruction", .optional(f.instruction)))
            members.append(("stack", .array(f.stack.map(codeSite))))
        }
        members.append(("fingerprint", .string(fingerprint)))
        if baseline.contains(fingerprint) { members.append(("suppressed", .bool(true))) }
        return .object(members)
    }

    static func codeSite(_ site: CodeSite) -> JSONValue {
        .object([("address", .string(hex(site.address))), ("symbol", .string(site.symbol))])
    }
}
