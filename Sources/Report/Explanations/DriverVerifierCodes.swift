extension Explanations {
    /// The two switches in one sentence, shared by the run-time DV codes (DESIGN.md §2.5).
    private static let runtimeSwitches = """
    Driver Verifier's code-integrity option on (memory integrity on or off): bug check 0xC4 with this \
    parameter 1, at the call. Option off, memory integrity on: the call succeeds, but the memory never \
    becomes executable in the SLAT, so running code from it stops with 0xFC. Both off: legacy Windows \
    hands out executable memory and nothing is reported. (DESIGN.md §2.5; the two are separate \
    settings on a real machine.)
    """

    /// The load-time codes' switches (DESIGN.md §2.5, docs/load-rules.md).
    private static let loadSwitches = """
    Memory integrity on: Code Integrity refuses the image, whether or not Driver Verifier runs (the \
    caller of ZwLoadDriver gets a failure status; which one Microsoft does not document, the model \
    returns STATUS_INVALID_IMAGE_HASH, docs/load-rules.md). Memory integrity off, Driver Verifier's \
    code-integrity option on: bug check 0xC4 with this parameter 1 when the image loads. Both off: the \
    image loads and runs as before.
    """

    private static let dvSources = ["Code integrity checking (Driver Verifier, option 0x02000000)",
                                    "Driver compatibility with memory integrity and VBS (HLK)"]

    static let driverVerifierCodes: [Explanation] = [
        Explanation(
            code: "0x2000", family: .driverVerifier, title: "executable pool memory was asked for",
            rule: """
            A pool DDI was asked for memory that may be executed: a non-paged POOL_TYPE without the \
            NonPagedPoolNx bit (512), ExAllocatePool2/3 with POOL_FLAG_NON_PAGED_EXECUTE (0x80), or a \
            non-paged lookaside list without POOL_NX_ALLOCATION. Bug check 0xC4: p2 the driver's call \
            site, p3 the pool type (or flags), p4 the tag.
            """,
            windows: runtimeSwitches,
            causes: """
            Code written before Windows 8 that says NonPagedPool; ExAllocatePool2 copied with \
            POOL_FLAG_NON_PAGED_EXECUTE; ExInitializeNPagedLookasideList with Flags 0; a KMDF \
            WdfMemoryCreate or WdfLookasideListCreate with NonPagedPool.
            """,
            fix: "Ask for no-execute pool: NonPagedPoolNx, or POOL_FLAG_NON_PAGED, or POOL_NX_ALLOCATION for lookaside lists.",
            snippet: """
            /* before */
            buf = ExAllocatePoolWithTag(NonPagedPool, size, 'xDvH');
            /* after */
            buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'xDvH');        /* NX */
            ExInitializeNPagedLookasideList(&list, NULL, NULL, POOL_NX_ALLOCATION, size, 'xDvH', 0);
            """,
            samples: ["nonpaged-pool", "pool2-execute", "lookaside-exec", "kmdf-sample", "hvci-aware (HVCI off only)"],
            docs: ["docs/ddi-checks.md", "docs/configurations.md", "docs/hvci.md"], sources: dvSources),
        Explanation(
            code: "0x2001", family: .driverVerifier, title: "an executable page protection was asked for",
            rule: """
            A DDI that takes a page protection (ZwAllocateVirtualMemory, MmProtectMdlSystemAddress, \
            ZwCreateSection, ZwMapViewOfSection, …) got one with an execute bit: PAGE_EXECUTE (0x10), \
            PAGE_EXECUTE_READ (0x20), PAGE_EXECUTE_READWRITE (0x40) or PAGE_EXECUTE_WRITECOPY (0x80). \
            Bug check 0xC4: p2 the call site, p3 the protection.
            """,
            windows: runtimeSwitches + """
             Memory from ZwAllocateVirtualMemory is user memory: kernel-mode execution of it is a \
            SMEP fault (0xFC) with memory integrity on or off (docs/load-rules.md §3).
            """,
            causes: "Allocating a buffer to copy code into (a trampoline, a shellcode thunk); PAGE_EXECUTE_READWRITE used as a \"works everywhere\" default.",
            fix: "Use PAGE_READWRITE or PAGE_READONLY; keep code in the image's .text section.",
            snippet: """
            /* before */
            ZwAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, MEM_COMMIT, PAGE_EXECUTE_READWRITE);
            /* after */
            ZwAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, MEM_COMMIT, PAGE_READWRITE);
            MmProtectMdlSystemAddress(mdl, PAGE_READONLY);                  /* not PAGE_EXECUTE_READ */
            """,
            samples: ["zwalloc-rwx", "mdl-protect-exec"],
            docs: ["docs/ddi-checks.md", "docs/load-rules.md", "docs/configurations.md"], sources: dvSources),
        Explanation(
            code: "0x2002", family: .driverVerifier, title: "an MDL was mapped executable",
            rule: """
            MmMapLockedPagesSpecifyCache (or the MmGetSystemAddressForMdlSafe macro over it) was called \
            without MdlMappingNoExecute (0x40000000) in Priority, or MmMapLockedPages was called (it has \
            no way to ask for no-execute). Bug check 0xC4: p2 the call site, p3 the priority argument.
            """,
            windows: runtimeSwitches,
            causes: "MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) as in older samples; MmMapLockedPages kept from old code.",
            fix: "OR MdlMappingNoExecute into the priority; replace MmMapLockedPages with MmMapLockedPagesSpecifyCache.",
            snippet: """
            /* before */
            va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
            /* after */
            va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
            """,
            samples: ["mdl-exec-mapping"],
            docs: ["docs/ddi-checks.md", "docs/configurations.md"], sources: dvSources),
        Explanation(
            code: "0x2003", family: .driverVerifier, title: "a section is both writable and executable",
            rule: """
            A section other than INIT has both IMAGE_SCN_MEM_WRITE and IMAGE_SCN_MEM_EXECUTE. No page \
            may ever be writable and executable under memory integrity. Bug check 0xC4: p2 the image \
            file name, p3 the section header's address, p4 the section name.
            """,
            windows: loadSwitches,
            causes: """
            A #pragma section or linker /SECTION:name,ERW that asks for RWX; /MERGE:.data=.text; a \
            packer or protector that decrypts code in place; a MinGW linker script that puts data in .text.
            """,
            fix: "Keep code and writable data in separate sections; drop the RWX section attribute and the /MERGE.",
            snippet: """
            /* before: one section for code and the data it patches */
            #pragma section(".wx", read, write, execute)
            /* after: code in .text, state in .data */
            static volatile LONG g_state;                  /* .data (RW) */
            static LONG ReadState(void) { return g_state; } /* .text (RX) */
            """,
            samples: ["rwx-section"], docs: ["docs/load-rules.md", "docs/configurations.md", "docs/hvci.md"], sources: dvSources),
        Explanation(
            code: "0x2004", family: .driverVerifier, title: "a section is not page aligned",
            rule: """
            SectionAlignment, or a section's VirtualAddress, is not a multiple of 0x1000. Page \
            rights are per 4 KiB page, so a page would hold two sections with different rights. One \
            finding for the header field and one per misaligned section. Bug check 0xC4: p2 the image \
            file name, p3 the section header's address, p4 the section name.
            """,
            windows: loadSwitches,
            causes: "Linking with /ALIGN:0x200 (or -Wl,--section-alignment=0x200) to make a small image; an old or custom toolchain.",
            fix: "Link with the default section alignment of 0x1000 (remove /ALIGN or --section-alignment below 0x1000).",
            snippet: """
            /* the fix is in the link line, not the C source:
               link.exe ... /DRIVER /SUBSYSTEM:NATIVE          (no /ALIGN:0x200)
               x86_64-w64-mingw32-gcc ... -Wl,--section-alignment=0x1000 */
            """,
            samples: ["misaligned-sections"], docs: ["docs/load-rules.md", "docs/configurations.md"], sources: dvSources),
        Explanation(
            code: "0x2005", family: .driverVerifier, title: "the import address table is in an executable section",
            rule: """
            The IAT (data directory 12, or the import thunks when it is absent) lies in an \
            executable section. The loader must write the IAT, but under memory integrity code pages \
            are never writable, so the image cannot be bound. Bug check 0xC4: p2 the image file name, \
            p3 the IAT directory, p4 the section name.
            """,
            windows: loadSwitches,
            causes: "/MERGE:.rdata=.text (or /MERGE:.idata=.text) to save a section; a linker script that puts .idata in .text.",
            fix: "Do not merge .rdata or .idata into a code section; leave the IAT in read-only data.",
            snippet: """
            /* the fix is in the link line:
               before: link.exe ... /MERGE:.rdata=.text
               after:  link.exe ...                      (no merge into .text) */
            """,
            samples: ["iat-in-exec-section"], docs: ["docs/load-rules.md", "docs/configurations.md"], sources: dvSources),
    ]
}
