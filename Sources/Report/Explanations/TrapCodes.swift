extension Explanations {
    private static let memorySources = ["Bug Check 0xBE: ATTEMPTED_WRITE_TO_READONLY_MEMORY",
                                        "Bug Check 0xFC: ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY",
                                        "Accessing Read-Only System Memory", "DESIGN.md §2.1, §2.7"]

    /// Run-time findings: traps of the memory model and changes to watched processor state.
    static let runtimeCodes: [Explanation] = memoryCodes + processorStateCodes + otherRuntimeCodes

    private static let memoryCodes: [Explanation] = [
        Explanation(
            code: "CODE_PAGE_WRITE", family: .runtime, title: "a write to a code page (bug check 0xBE)",
            rule: """
            The driver, or a kernel routine it called (memcpy, RtlCopyMemory, an out-parameter), wrote \
            to a page of image code, through any mapping. Details: target, owner, pte, slat, deniedBy.
            """,
            windows: """
            Memory integrity on: the SLAT keeps code frames read-only, whatever the PTE, CR0.WP or an \
            alias mapping says: 0xBE at the write (DESIGN.md §2.1). Memory integrity off: the PTE and \
            CR0.WP decide; with CR0.WP set the write also stops with 0xBE, with it cleared the write \
            goes through (see CR0_WP_BYPASS). Driver Verifier's code-integrity option adds nothing here.
            """,
            causes: "Inline hooks and hot patches of its own or the kernel's code; self-modifying code; a stray pointer into .text.",
            fix: "Do not modify code at run time: keep patchable state in data and select behaviour through function pointers.",
            snippet: """
            /* before: patch the code of ReturnsOne */
            *(volatile UCHAR *)((PUCHAR)ReturnsOne + 1) = 2;
            /* after: choose behaviour through data */
            static LONG (*g_impl)(void) = ReturnsOne;
            g_impl = ReturnsTwo;                            /* a write to .data */
            """,
            samples: ["code-write", "cr0-wp-patch", "mdl-alias-patch", "kernel-memcpy-patch", "mdl-alias-rtlcopy",
                      "self-modifying (hostile)"],
            docs: ["docs/memory-behaviour.md", "docs/configurations.md", "docs/hvci.md"], sources: memorySources),
        Explanation(
            code: "READONLY_WRITE", family: .runtime, title: "a write to read-only data (bug check 0xBE)",
            rule: "A write to a read-only page that is not code (.rdata, KUSER_SHARED_DATA's kernel mapping, a read-only mapping).",
            windows: """
            With memory integrity on or off, the PTE refuses it and Windows stops with 0xBE (the page \
            tables refuse it first; the SLAT refuses it too when the frame is SLAT read-only). Driver \
            Verifier's option adds nothing.
            """,
            causes: "Writing through a const pointer cast away; writing to a string literal; a wild pointer.",
            fix: "Write only to writable memory: copy read-only data into a buffer you own first.",
            snippet: """
            /* before */
            PWCHAR name = (PWCHAR)L"Device";  name[0] = L'd';    /* literal in .rdata */
            /* after */
            WCHAR name[] = L"Device";  name[0] = L'd';            /* a writable copy */
            """,
            samples: ["wild-write-kusd (hostile)"], docs: ["docs/memory-behaviour.md", "docs/verdicts.md"], sources: memorySources),
        Explanation(
            code: "DATA_EXECUTION", family: .runtime, title: "execution of memory Code Integrity did not verify (bug check 0xFC)",
            rule: """
            The processor fetched an instruction from memory that is not verified image code: pool, \
            stack, an MDL mapping, a page whose NX bit the driver cleared.
            """,
            windows: """
            Memory integrity on: only frames Code Integrity verified as image code are executable in the \
            SLAT, so this stops with 0xFC whatever the PTE says. Memory integrity off: the PTE decides; \
            NX pool or an NX PTE stops with 0xFC, executable pool runs. Driver Verifier's option catches \
            the allocation earlier (0x2000–0x2002), not the fetch.
            """,
            causes: "Copying code into pool and calling it (thunks, JIT, unpacking); clearing NX in a PTE; calling a function pointer that points at data.",
            fix: "Run only code that is in the image's .text section; call it directly or through a pointer to it.",
            snippet: """
            /* before: copy a thunk into pool and call it */
            p = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(thunk), 'knhT');
            RtlCopyMemory(p, thunk, sizeof(thunk)); ((PFN)p)();
            /* after: the code stays in .text */
            Thunk();
            """,
            samples: ["pool-exec", "pte-nx-clear"], docs: ["docs/memory-behaviour.md", "docs/configurations.md", "docs/hvci.md"],
            sources: memorySources),
        Explanation(
            code: "SMEP_VIOLATION", family: .runtime, title: "kernel-mode execution of a user-mode page (bug check 0xFC)",
            rule: "Kernel code fetched an instruction from a page in the user half of the address space (its PTE has U/S set).",
            windows: """
            SMEP (CR4 bit 20) faults the fetch with memory integrity on or off; Windows reports 0xFC. \
            Microsoft's pages do not say in one place that a SMEP fault becomes 0xFC; the model follows \
            crash dumps of such faults (docs/load-rules.md §3). Driver Verifier's option reports the \
            executable protection earlier (0x2001).
            """,
            causes: "Code copied into ZwAllocateVirtualMemory memory and called; a user-mode callback pointer called from the kernel.",
            fix: "Never run user memory in kernel mode; keep the code in the driver image.",
            snippet: """
            /* before */
            ZwAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, MEM_COMMIT, PAGE_EXECUTE_READWRITE);
            RtlCopyMemory(base, code, n); ((PFN)base)();
            /* after */
            Worker();                                        /* in .text */
            """,
            samples: ["zwalloc-rwx (allocates; does not execute)"], docs: ["docs/load-rules.md"],
            sources: ["Bug Check 0xFC: ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY", "ZwAllocateVirtualMemory function (ntifs.h)"]),
        Explanation(
            code: "PTE_TAMPER", family: .runtime, title: "a page-table edit asks for execute on data or write on code (warning)",
            rule: """
            The driver wrote a PTE through the self-map and the new entry grants what the SLAT will not \
            (HVCI on), or makes data executable or a page writable and executable (HVCI off). Details \
            before/after hold the entry. A PTE write is an ordinary kernel write, not a fault.
            """,
            windows: """
            Memory integrity on: the edit lands, but the SLAT still decides: executing the page stops \
            with 0xFC, writing code with 0xBE (DESIGN.md §2.1). Memory integrity off: the edit takes \
            effect. Nothing is raised at the edit itself; Driver Verifier's option does not look at PTEs. \
            Windows randomises the self-map since Windows 10 1607; the model keeps the classic \
            0xFFFFF680'00000000 (project's model).
            """,
            causes: "Clearing NX (bit 63) to run data, setting the write bit on a code page, copying PTEs between addresses.",
            fix: "Do not edit page tables; allocate no-execute memory and keep code in the image.",
            snippet: """
            /* before */
            *(PULONG64)PteOf(buf) &= ~(1ULL << 63);          /* make pool executable */
            /* after: nothing to do; data stays data */
            buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'ataD');
            """,
            samples: ["pte-nx-clear"], docs: ["docs/memory-behaviour.md", "docs/hvci.md"], sources: ["DESIGN.md §2.1"]),
        Explanation(
            code: "INVALID_ACCESS", family: .runtime, title: "an access to unmapped memory (bug check 0x50)",
            rule: """
            A read, write or fetch of an address nothing is mapped at (or a non-canonical one), by the \
            driver or by a kernel routine for it. Bug check 0x50: p1 the address, p2 0/2/0x10 for \
            read/write/execute, p3 the instruction, p4 2 (or 4 for a non-canonical address).
            """,
            windows: "The same fault with memory integrity on or off; Driver Verifier's code-integrity option adds nothing. It is the driver's own bug, not an HVCI verdict (docs/verdicts.md).",
            causes: "NULL or freed pointers, an unterminated string, a wrong buffer length, a user address used without probing.",
            fix: "Check pointers and lengths; probe user buffers inside __try/__except.",
            snippet: """
            /* before */
            RtlCopyMemory(out, irp->UserBuffer, len);
            /* after */
            __try { ProbeForRead(irp->UserBuffer, len, 1); RtlCopyMemory(out, irp->UserBuffer, len); }
            __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }
            """,
            samples: ["null-dereference (hostile)", "wild-write-kernel (hostile)", "bogus-irp-buffers (hostile)"],
            docs: ["docs/memory-behaviour.md", "docs/verdicts.md"], sources: ["Bug Check 0x50: PAGE_FAULT_IN_NONPAGED_AREA"]),
    ]
}
