/// A fixed description of every finding code, for the outputs that describe a rule apart from
/// its findings (SARIF's `tool.driver.rules`). A finding's own title and fix say what happened
/// in that driver; these say what the rule is, the same for every driver, so a code-scanning
/// service can show one rule page for all of its alerts.
public struct RuleDescription: Sendable {
    /// The finding code ("0x2003", "DATA_EXECUTION").
    public var code: String
    /// A PascalCase identifier, as SARIF's `reportingDescriptor.name` asks.
    public var name: String
    /// One line: what the rule detects.
    public var short: String
    /// A few sentences: why Windows refuses it.
    public var full: String
    /// What to change, in general terms (each finding's `fix` is specific).
    public var help: String
    /// The document (under docs/) and anchor that documents the code.
    public var document: String
    /// The bug check Windows raises for it ("0xC4"), nil when none.
    public var bugCheck: String?
    /// The severity the code is reported with (some codes vary per finding; this is the usual one).
    public var severity: String
}

public enum RuleCatalog {
    /// Where help links point: the docs folder of the project's repository. One constant, so a
    /// fork that publishes elsewhere changes one line.
    public static let documentationBase = "https://github.com/hvcisim/hvcisim/blob/main/docs/"

    /// The description of `code`; codes this catalogue does not know (a newer report read by an
    /// older tool) get a generic one pointing at the schema's code list.
    public static func rule(for code: String) -> RuleDescription {
        if let known = known.first(where: { $0.code == code }) { return known }
        let name = code.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined()
        return RuleDescription(
            code: code, name: name.isEmpty ? "Unknown" : "Finding" + name,
            short: "hvcisim finding \(code).", full: "A finding hvcisim reports with code \(code); see the list of codes.",
            help: "Follow the fix given with each finding.", document: "report-schema.md#findings", bugCheck: nil, severity: "warning")
    }

    public static func helpURI(for rule: RuleDescription) -> String { documentationBase + rule.document }

    // Facts from docs/report-schema.md, docs/memory-behaviour.md, docs/load-rules.md and
    // docs/ddi-checks.md (which in turn cite Microsoft's documentation of bug checks 0xC4,
    // 0xBE, 0xFC and of memory integrity).
    static let known: [RuleDescription] = [
        RuleDescription(code: "0x2000", name: "ExecutablePoolAllocation",
                        short: "A pool DDI was asked for executable memory.",
                        full: "Driver Verifier's code-integrity check raises bug check 0xC4 (0x2000) when a driver allocates executable pool (NonPagedPool, NonPagedPoolExecute or POOL_FLAG without NX). Under memory integrity pool is never executable.",
                        help: "Allocate NonPagedPoolNx (POOL_FLAG_NON_PAGED) and keep code in the image.",
                        document: "report-schema.md#run-reports", bugCheck: "0xC4", severity: "error"),
        RuleDescription(code: "0x2001", name: "ExecutablePageProtection",
                        short: "A DDI was asked for an executable page protection.",
                        full: "Driver Verifier raises bug check 0xC4 (0x2001) when a driver asks for PAGE_EXECUTE* protection on memory it maps or allocates; memory integrity only lets verified image code execute.",
                        help: "Ask for PAGE_READWRITE or PAGE_READONLY.",
                        document: "report-schema.md#run-reports", bugCheck: "0xC4", severity: "error"),
        RuleDescription(code: "0x2002", name: "ExecutableMdlMapping",
                        short: "An MDL was mapped without MdlMappingNoExecute.",
                        full: "Driver Verifier raises bug check 0xC4 (0x2002) for MmMapLockedPagesSpecifyCache without MdlMappingNoExecute in the priority, and for MmMapLockedPages, which cannot ask for a non-executable mapping.",
                        help: "Or MdlMappingNoExecute into the priority of MmMapLockedPagesSpecifyCache / MmGetSystemAddressForMdlSafe.",
                        document: "report-schema.md#run-reports", bugCheck: "0xC4", severity: "error"),
        RuleDescription(code: "0x2003", name: "WritableExecutableSection",
                        short: "A section is both writable and executable.",
                        full: "Code Integrity refuses to load an image with a section other than INIT that is writable and executable when memory integrity is on; Driver Verifier raises bug check 0xC4 (0x2003).",
                        help: "Merge or split sections so that no section is both writable and executable (no /SECTION:...,RWE, no #pragma section with write and execute).",
                        document: "load-rules.md#1-images-code-integrity-refuses-under-hvci", bugCheck: "0xC4", severity: "error"),
        RuleDescription(code: "0x2004", name: "MisalignedSection",
                        short: "Section alignment or a section's start is not a multiple of 0x1000.",
                        full: "Code Integrity needs every section on its own pages to give it its own protection; an image whose SectionAlignment or a section's VirtualAddress is not page aligned is refused under memory integrity (bug check 0xC4, 0x2004).",
                        help: "Link with the default section alignment (0x1000); do not use /ALIGN or /FILEALIGN tricks that merge sections into one page.",
                        document: "load-rules.md#1-images-code-integrity-refuses-under-hvci", bugCheck: "0xC4", severity: "error"),
        RuleDescription(code: "0x2005", name: "ImportTableInExecutableSection",
                        short: "The import address table lies in an executable section.",
                        full: "The loader writes the import address table; in an executable section that would need writable code, so Code Integrity refuses the image under memory integrity (bug check 0xC4, 0x2005).",
                        help: "Keep the IAT in a read-only data section (do not merge .idata into .text).",
                        document: "load-rules.md#1-images-code-integrity-refuses-under-hvci", bugCheck: "0xC4", severity: "error"),
        RuleDescription(code: "INIT_SECTION_WX", name: "WritableExecutableInitSection",
                        short: "The INIT section is writable and executable.",
                        full: "Windows 10 and later load an INIT section with the write permission stripped, so the driver stays compatible with memory integrity; older loaders would map it writable and executable.",
                        help: "Drop the write attribute from INIT if the driver does not need it.",
                        document: "report-schema.md#findings", bugCheck: nil, severity: "note"),
        RuleDescription(code: "NX_COMPAT_MISSING", name: "NxCompatMissing",
                        short: "DllCharacteristics lacks NX_COMPAT (0x0100).",
                        full: "The image does not declare that it runs with non-executable data; drivers built for memory integrity set IMAGE_DLLCHARACTERISTICS_NX_COMPAT.",
                        help: "Link with /NXCOMPAT.",
                        document: "report-schema.md#findings", bugCheck: nil, severity: "note"),
        RuleDescription(code: "DDI_RUNTIME_CHECK", name: "DdiAffectedByMemoryIntegrity",
                        short: "The image imports a DDI Microsoft lists as possibly affected by memory integrity.",
                        full: "Some DDIs are compatible or not depending on their arguments (pool type, protection, MDL priority); the import alone decides nothing, a run does.",
                        help: "Run the driver with `hvcisim run` to check the arguments it passes.",
                        document: "ddi-checks.md", bugCheck: nil, severity: "note"),
        RuleDescription(code: "CODE_PAGE_WRITE", name: "CodePageWrite",
                        short: "A write to a code page.",
                        full: "Memory integrity keeps verified code read-only in the hypervisor's page tables (SLAT); a write to it, through any mapping, faults with bug check 0xBE.",
                        help: "Do not patch code; use a function pointer or a supported callback instead.",
                        document: "memory-behaviour.md", bugCheck: "0xBE", severity: "error"),
        RuleDescription(code: "READONLY_WRITE", name: "ReadOnlyWrite",
                        short: "A write to read-only data.",
                        full: "A write to a read-only page of the image (.rdata, the IAT after load) faults with bug check 0xBE.",
                        help: "Keep data the driver writes in a writable section or in pool.",
                        document: "report-schema.md#run-reports", bugCheck: "0xBE", severity: "error"),
        RuleDescription(code: "DATA_EXECUTION", name: "DataExecution",
                        short: "Execution of memory Code Integrity did not verify.",
                        full: "Under memory integrity only pages of verified images are executable; running pool, stack or an MDL mapping faults with bug check 0xFC.",
                        help: "Keep all code in the driver image; do not copy or generate code at run time.",
                        document: "memory-behaviour.md", bugCheck: "0xFC", severity: "error"),
        RuleDescription(code: "PTE_TAMPER", name: "PageTableTamper",
                        short: "A write to a PTE asking for execute on data or write on code.",
                        full: "Memory integrity ignores page-table edits: the SLAT still decides, so the page faults when it is used (0xFC or 0xBE).",
                        help: "Do not edit PTEs; allocate non-executable memory and keep code in the image.",
                        document: "memory-behaviour.md#2-page-table-edits-are-not-faults", bugCheck: nil, severity: "warning"),
        RuleDescription(code: "SMEP_VIOLATION", name: "SmepViolation",
                        short: "Kernel-mode execution of a user-half page.",
                        full: "Supervisor-mode execution prevention stops the kernel from running user memory, with or without memory integrity (bug check 0xFC).",
                        help: "Never run code from user-mode allocations.",
                        document: "load-rules.md#3-user-memory-and-smep", bugCheck: "0xFC", severity: "error"),
        RuleDescription(code: "CR0_WP_BYPASS", name: "WriteProtectBypass",
                        short: "A write to read-only memory went through because CR0.WP was cleared.",
                        full: "With memory integrity off, clearing CR0.WP lets a driver write read-only pages; with it on the SLAT refuses the write (CODE_PAGE_WRITE).",
                        help: "Never clear CR0.WP to patch memory.",
                        document: "memory-behaviour.md", bugCheck: nil, severity: "error"),
        RuleDescription(code: "CR0_WP_CLEARED", name: "WriteProtectCleared",
                        short: "CR0.WP cleared (write protection of read-only pages off).",
                        full: "Clearing CR0.WP changes nothing under memory integrity, whose SLAT keeps code read-only; it shows an intent to patch read-only memory, and PatchGuard bug checks 0x109.",
                        help: "Never clear CR0.WP.",
                        document: "report-schema.md#run-reports", bugCheck: nil, severity: "warning"),
        RuleDescription(code: "CR4_SMEP_CLEARED", name: "SmepCleared",
                        short: "CR4.SMEP cleared.",
                        full: "With memory integrity the hypervisor pins CR4.SMEP (HyperGuard) and refuses the write.",
                        help: "Never change CR4.",
                        document: "report-schema.md#run-reports", bugCheck: nil, severity: "error"),
        RuleDescription(code: "LSTAR_WRITE", name: "SyscallEntryHook",
                        short: "MSR LSTAR (the system call entry point) changed.",
                        full: "With memory integrity the hypervisor protects LSTAR (HyperGuard); PatchGuard bug checks 0x109.",
                        help: "Never hook the system call entry.",
                        document: "report-schema.md#run-reports", bugCheck: nil, severity: "error"),
        RuleDescription(code: "WRITABLE_CODE_ALIAS", name: "WritableCodeAlias",
                        short: "An MDL mapping makes the driver's code pages writable.",
                        full: "Mapping code pages through an MDL to write them is a patching technique memory integrity defeats: the SLAT keeps the frames read-only whatever the mapping says.",
                        help: "Do not map code pages writable; do not patch code.",
                        document: "memory-behaviour.md", bugCheck: nil, severity: "error"),
        RuleDescription(code: "INVALID_ACCESS", name: "InvalidAccess",
                        short: "An access to unmapped memory.",
                        full: "Windows raises bug check 0x50 (PAGE_FAULT_IN_NONPAGED_AREA) for a kernel access to memory that is not mapped.",
                        help: "Check the pointer the driver dereferences.",
                        document: "memory-behaviour.md", bugCheck: "0x50", severity: "error"),
        RuleDescription(code: "OB_OVER_DEREFERENCE", name: "ObjectOverDereference",
                        short: "An object was dereferenced more often than the driver referenced it.",
                        full: "An extra ObDereferenceObject frees an object others still use; Windows raises bug check 0x18 (REFERENCE_BY_POINTER) when it notices.",
                        help: "Call ObDereferenceObject once per reference taken.",
                        document: "report-schema.md#run-reports", bugCheck: "0x18", severity: "warning"),
        RuleDescription(code: "EMULATOR_INTERNAL", name: "EmulatorInternal",
                        short: "The memory model could not apply an action.",
                        full: "A fault of the tool, not of the driver: the result of the run may be incomplete.",
                        help: "Report this to the hvcisim maintainers.",
                        document: "verdicts.md#inconclusive-the-causes", bugCheck: nil, severity: "warning"),
    ]
}
