import Events
import PEImage

/// The load-time half of HVCI: what Code Integrity and Driver Verifier check
/// in the image file before any of its code runs (DESIGN.md §2.2).
///
/// ```swift
/// let findings = CodeIntegrityChecks.run(on: image, fileName: "foo.sys")
/// let verdict = Verdict(findings: findings)
/// ```
public enum CodeIntegrityChecks {
    /// Every static check, in report order.
    public static func run(on image: PEFile, fileName: String) -> [Finding] {
        writableExecutableSections(image, fileName: fileName)
            + misalignedSections(image, fileName: fileName)
            + importAddressTableInCode(image, fileName: fileName)
            + missingNXCompat(image)
            + runtimeCheckedImports(image)
    }

    /// The address DV reports for a section header: where the mapped headers put it.
    static func headerAddress(_ image: PEFile, _ section: Section) -> String {
        hex(image.optionalHeader.imageBase &+ UInt64(section.headerOffset))
    }

    static func bugCheck(_ subcode: UInt32, _ fileName: String, _ p2: String, _ p3: String) -> BugCheck {
        BugCheck(code: BugCheck.driverVerifierViolation, parameters: [hex(subcode), fileName, p2, p3])
    }

    /// 0x2003: a section both writable and executable. Windows 10 strips W from
    /// an `INIT` section (old toolchains marked it RWX), so that one is a note.
    static func writableExecutableSections(_ image: PEFile, fileName: String) -> [Finding] {
        image.sections.filter { $0.isWritable && $0.isExecutable }.map { section in
            let details = [(key: "sectionHeader", value: headerAddress(image, section)),
                           (key: "characteristics", value: hex(section.characteristics))]
            if section.name == "INIT" {
                return Finding(code: "INIT_SECTION_WX", title: "INIT section is writable and executable; Windows loads it with W stripped",
                               severity: .note, phase: .static, section: section.name,
                               fix: "nothing is required (the driver stays compatible); a current linker no longer marks INIT writable",
                               details: details)
            }
            return Finding(code: "0x2003", title: "executable and writable section", severity: .error, phase: .static,
                           section: section.name,
                           fix: "keep code and writable data in separate sections: remove the RWX section attribute (/SECTION:\(section.name),ERW or a section pragma/attribute that adds write to code)",
                           bugCheck: bugCheck(0x2003, fileName, headerAddress(image, section), section.name),
                           details: details)
        }
    }

    /// 0x2004: SectionAlignment, or a section's start, not a multiple of a page.
    static func misalignedSections(_ image: PEFile, fileName: String) -> [Finding] {
        let fix = "link with the default 4 KiB section alignment (drop /ALIGN or --section-alignment values below 0x1000)"
        var findings: [Finding] = []
        let alignment = image.optionalHeader.sectionAlignment
        if alignment % 0x1000 != 0 {
            findings.append(Finding(code: "0x2004", title: "section alignment is not a multiple of 0x1000", severity: .error,
                                    phase: .static, fix: fix,
                                    bugCheck: bugCheck(0x2004, fileName, "-", "-"),
                                    details: [(key: "sectionAlignment", value: hex(alignment))]))
        }
        for section in image.sections where section.virtualAddress % 0x1000 != 0 {
            findings.append(Finding(code: "0x2004", title: "section does not start on a page boundary", severity: .error,
                                    phase: .static, section: section.name, fix: fix,
                                    bugCheck: bugCheck(0x2004, fileName, headerAddress(image, section), section.name),
                                    details: [(key: "sectionHeader", value: headerAddress(image, section)),
                                              (key: "virtualAddress", value: hex(section.virtualAddress))]))
        }
        return findings
    }

    /// 0x2005: the import address table inside an executable section, where
    /// the loader would have to write to code. Uses data directory 12 (IAT);
    /// an image without it is judged by where its import thunks are written.
    static func importAddressTableInCode(_ image: PEFile, fileName: String) -> [Finding] {
        image.importAddressTablesInCode.map { rva, section in
            let directory = hex(image.optionalHeader.imageBase &+ rva)
            return Finding(code: "0x2005", title: "import address table in an executable section", severity: .error,
                           phase: .static, section: section.name,
                           fix: "keep the IAT in a read-only data section: do not merge .idata or .rdata into code (/MERGE:.rdata=.text, a linker script placing .idata in .text)",
                           bugCheck: bugCheck(0x2005, fileName, directory, section.name),
                           details: [(key: "iat", value: directory), (key: "iatRva", value: hex(rva))])
        }
    }

    static func missingNXCompat(_ image: PEFile) -> [Finding] {
        guard image.optionalHeader.dllCharacteristics & DllCharacteristics.nxCompat == 0 else { return [] }
        return [Finding(code: "NX_COMPAT_MISSING", title: "image does not opt in to NX (IMAGE_DLLCHARACTERISTICS_NX_COMPAT not set)",
                        severity: .note, phase: .static, fix: "link with /NXCOMPAT (GNU ld: --nxcompat)",
                        details: [(key: "dllCharacteristics", value: hex(image.optionalHeader.dllCharacteristics))])]
    }

    /// One note per imported DDI of `RuntimeCheckedDDIs`; the fix text says whether
    /// `hvcisim run` checks its arguments, reports every call, or has no check to apply.
    static func runtimeCheckedImports(_ image: PEFile) -> [Finding] {
        var seen = Set<String>()
        var findings: [Finding] = []
        for module in image.imports + image.delayImports {
            for function in module.functions {
                guard let name = function.name, let ddi = RuntimeCheckedDDIs.byName[name],
                      seen.insert(name).inserted else { continue }
                let title: String
                switch ddi.check {
                case .arguments: title = "imports \(name); whether it asks for executable memory is decided at run time"
                case .everyCall: title = "imports \(name), which returns executable memory whatever its arguments"
                case .none: title = "imports \(name), which Microsoft lists as possibly affected by memory integrity"
                }
                findings.append(Finding(code: "DDI_RUNTIME_CHECK", title: title, severity: .note, phase: .static,
                                        fix: RuntimeCheckedDDIs.note(kind: ddi.kind, check: ddi.check),
                                        details: [(key: "function", value: name), (key: "module", value: module.name)]))
            }
        }
        return findings
    }
}
