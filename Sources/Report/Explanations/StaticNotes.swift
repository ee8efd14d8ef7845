extension Explanations {
    /// Static findings without a Driver Verifier code (Sources/StaticChecks/CodeIntegrityChecks.swift).
    static let staticNotes: [Explanation] = [
        Explanation(
            code: "INIT_SECTION_WX", family: .staticNote, title: "the INIT section is writable and executable (tolerated)",
            rule: "The INIT section (discarded after DriverEntry) asks for RWX, as Visual Studio 2013-era toolchains emitted it. Other sections that do this are 0x2003.",
            windows: """
            Windows 10 loads the image with W stripped from INIT, with memory integrity on or off, and \
            the driver stays compatible (HLK page, FAQ on INIT). Driver Verifier's option does not \
            report it as 0x2003.
            """,
            causes: "An old toolchain, or a #pragma alloc_text(INIT, …) build with old linker defaults.",
            fix: "Nothing is required; a current toolchain marks INIT read-execute.",
            snippet: """
            /* fine as it is; with a current WDK INIT is R-X */
            #pragma alloc_text(INIT, DriverEntry)
            """,
            samples: ["init-rwx"], docs: ["docs/load-rules.md", "docs/configurations.md"],
            sources: ["Driver compatibility with memory integrity and VBS (HLK)"]),
        Explanation(
            code: "NX_COMPAT_MISSING", family: .staticNote, title: "the image does not opt in to NX (IMAGE_DLLCHARACTERISTICS_NX_COMPAT)",
            rule: "DllCharacteristics lacks 0x0100, the flag by which an image opts in to no-execute data by default.",
            windows: """
            A note only. Microsoft's pages we found do not say that Code Integrity or Driver Verifier \
            refuses a driver for the missing flag, with memory integrity on or off; the model never \
            refuses it (DESIGN.md §2.2).
            """,
            causes: "Linking with /NXCOMPAT:NO, or a MinGW link without --nxcompat.",
            fix: "Link with /NXCOMPAT (link.exe's default) or -Wl,--nxcompat.",
            snippet: """
            /* link line:
               link.exe ... /NXCOMPAT
               x86_64-w64-mingw32-gcc ... -Wl,--nxcompat */
            """,
            samples: [], docs: ["docs/report-schema.md"], sources: ["DESIGN.md §2.2"]),
        Explanation(
            code: "DDI_RUNTIME_CHECK", family: .staticNote, title: "the image imports a DDI whose arguments decide (checked at run time)",
            rule: """
            The driver imports a DDI Microsoft lists as possibly affected by memory integrity \
            (details.function): whether it asks for executable memory depends on its arguments. One \
            note per DDI; the fix line says whether `hvcisim run` checks its arguments.
            """,
            windows: """
            Nothing at load, with either switch. At run time an executable request is 0x2000–0x2002 \
            with Driver Verifier's option on, and memory that never runs with memory integrity on.
            """,
            causes: "Any driver that allocates pool or maps MDLs.",
            fix: "Pass no-execute arguments (NonPagedPoolNx, MdlMappingNoExecute, no PAGE_EXECUTE*) and run the driver: `hvcisim run DRIVER`.",
            snippet: """
            buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'looP');
            va  = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
            """,
            samples: ["compliant", "nonpaged-pool", "mdl-exec-mapping"], docs: ["docs/ddi-checks.md"],
            sources: ["Driver compatibility with memory integrity and VBS (HLK)", "Code integrity checking"]),
    ]
}
