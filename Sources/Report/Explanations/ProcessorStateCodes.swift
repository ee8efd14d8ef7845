extension Explanations {
    private static let hyperGuardNote = """
    Microsoft's bug check reference documents 0x18C HYPERGUARD_VIOLATION, but no Microsoft page we \
    found says which registers memory integrity protects; treating CR4.SMEP and LSTAR as protected is \
    the project's assumption (docs/verdicts.md).
    """

    /// Control registers and MSRs the run watches (Sources/Scenario/ControlRegisterWatch.swift).
    static let processorStateCodes: [Explanation] = [
        Explanation(
            code: "CR0_WP_CLEARED", family: .runtime, title: "CR0.WP was cleared (warning)",
            rule: "The driver cleared CR0 bit 16 (write protect), which lets ring 0 write read-only pages. Seen at its next kernel call or return.",
            windows: """
            Memory integrity on: clearing WP changes nothing that matters, the SLAT still keeps code \
            read-only (a write then is CODE_PAGE_WRITE, 0xBE). Off: later writes to read-only pages go \
            through (CR0_WP_BYPASS). Kernel Patch Protection may report modified code or a control \
            register with 0x109. Driver Verifier's option does not watch CR0.
            """,
            causes: "The classic cli; mov cr0 (WP off); patch; restore; sti sequence used by hooks.",
            fix: "Never clear CR0.WP; do not patch code or read-only data.",
            snippet: """
            /* before */
            _disable(); __writecr0(__readcr0() & ~0x10000); Patch(); __writecr0(cr0); _enable();
            /* after: no patching; register a documented callback instead */
            PsSetCreateProcessNotifyRoutineEx(OnProcess, FALSE);
            """,
            samples: ["cr0-wp-patch", "kernel-memcpy-patch"], docs: ["docs/memory-behaviour.md", "docs/verdicts.md"],
            sources: ["Driver x64 restrictions", "DESIGN.md §2.1"]),
        Explanation(
            code: "CR0_WP_BYPASS", family: .runtime, title: "a write to read-only memory went through because CR0.WP was clear",
            rule: "With memory integrity off and CR0.WP cleared, a write to a read-only page (code included) succeeded. Details name the target and, for a kernel routine, the function.",
            windows: """
            Memory integrity off: the processor lets the write through; on x64, Kernel Patch Protection \
            bug checks 0x109 when it finds modified kernel code ("Driver x64 restrictions"). Memory \
            integrity on: the same write is refused by the SLAT (CODE_PAGE_WRITE, 0xBE). Driver \
            Verifier's option adds nothing. Advisory: an HVCI-off run only predicts the refusal.
            """,
            causes: "Hooking by patching code with WP off; patching read-only tables.",
            fix: "Remove the patch; use documented callbacks or filter mechanisms.",
            snippet: """
            /* before */
            __writecr0(__readcr0() & ~0x10000); RtlCopyMemory(Target, Jmp, sizeof(Jmp));
            /* after */
            ObRegisterCallbacks(&registration, &handle);   /* a documented hook point */
            """,
            samples: ["cr0-wp-patch (HVCI off)", "kernel-memcpy-patch (HVCI off)"],
            docs: ["docs/memory-behaviour.md", "docs/configurations.md"], sources: ["Driver x64 restrictions", "DESIGN.md §2.1"]),
        Explanation(
            code: "CR4_SMEP_CLEARED", family: .runtime, title: "CR4.SMEP was cleared",
            rule: "The driver cleared CR4 bit 20 (supervisor-mode execution prevention). Seen at its next kernel call or return.",
            windows: "Memory integrity on: counted as the hypervisor's refusal (an error). Off: advisory; SMEP is off until restored. " + hyperGuardNote
                + " Driver Verifier's option does not watch CR4.",
            causes: "Exploit-style code that disables SMEP to run user memory; copying CR4 values from another machine.",
            fix: "Never write CR4.",
            snippet: """
            /* before */
            __writecr4(__readcr4() & ~(1ULL << 20));
            /* after: nothing; keep code in the image and SMEP on */
            """,
            samples: ["mov-cr (hostile)"], docs: ["docs/verdicts.md", "docs/cpu-behaviour.md"],
            sources: ["Bug Check 0x18C: HYPERGUARD_VIOLATION", "docs/verdicts.md"]),
        Explanation(
            code: "LSTAR_WRITE", family: .runtime, title: "MSR LSTAR (the system-call entry) was changed",
            rule: "The driver wrote MSR 0xC0000082, the 64-bit SYSCALL entry point. Seen at its next kernel call or return.",
            windows: "Memory integrity on: counted as the hypervisor's refusal (an error). Off: advisory; Kernel Patch Protection may bug check 0x109 (a critical MSR). " + hyperGuardNote
                + " Driver Verifier's option does not watch MSRs.",
            causes: "System-call hooking for monitoring or anti-cheat.",
            fix: "Do not hook system calls; use documented callbacks (process, thread, image, object, registry).",
            snippet: """
            /* before */
            __writemsr(0xC0000082, (ULONG64)MySyscallEntry);
            /* after */
            PsSetLoadImageNotifyRoutine(OnImageLoad);
            """,
            samples: ["wrmsr-lstar (hostile)"], docs: ["docs/verdicts.md", "docs/cpu-behaviour.md"],
            sources: ["Bug Check 0x18C: HYPERGUARD_VIOLATION", "Bug Check 0x109: CRITICAL_STRUCTURE_CORRUPTION"]),
    ]

    /// Findings that are neither traps nor watched state.
    static let otherRuntimeCodes: [Explanation] = [
        Explanation(
            code: "WRITABLE_CODE_ALIAS", family: .runtime, title: "an MDL mapping makes the driver's code pages writable",
            rule: "MmMapLockedPagesSpecifyCache mapped pages of image code through a writable system mapping (an alias of the code frames).",
            windows: """
            Memory integrity on: the alias shares the frame's SLAT rights, so every write through it is \
            refused (CODE_PAGE_WRITE, 0xBE) (DESIGN.md §2.1). Off: writes through the alias patch the \
            code. The mapping itself raises nothing; with Driver Verifier's option on, the same call \
            without MdlMappingNoExecute is 0x2002. The finding is the project's advisory.
            """,
            causes: "Patching code through IoAllocateMdl + MmBuildMdlForNonPagedPool + a second mapping.",
            fix: "Do not map code to patch it.",
            snippet: """
            /* before */
            mdl = IoAllocateMdl(ReturnsOne, PAGE_SIZE, FALSE, FALSE, NULL);
            MmBuildMdlForNonPagedPool(mdl);
            alias = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmNonCached, NULL, FALSE, NormalPagePriority);
            /* after: keep state in data, not in code */
            """,
            samples: ["mdl-alias-patch", "mdl-alias-rtlcopy"], docs: ["docs/memory-behaviour.md", "docs/configurations.md"],
            sources: ["DESIGN.md §2.1"]),
        Explanation(
            code: "OB_OVER_DEREFERENCE", family: .runtime, title: "an object was dereferenced more often than referenced (warning)",
            rule: "The driver called ObDereferenceObject on an object it held no reference to. The finding carries the bug check it leads to: 0x18 REFERENCE_BY_POINTER.",
            windows: "Not an HVCI rule: the same with memory integrity and Driver Verifier's option on or off. Windows bug checks 0x18 when the count goes wrong, possibly much later.",
            causes: "Dereferencing the result of PsGetCurrentProcess, IoGetCurrentProcess or IoThreadToProcess (no reference taken); dereferencing twice on an error path.",
            fix: "Call ObDereferenceObject once per reference taken (PsLookup*, ObReferenceObjectBy*, ObfReferenceObject).",
            snippet: """
            /* before */
            PEPROCESS p = PsGetCurrentProcess();  ObDereferenceObject(p);
            /* after */
            PEPROCESS p;
            if (NT_SUCCESS(PsLookupProcessByProcessId(pid, &p))) { Use(p); ObDereferenceObject(p); }
            """,
            samples: [], docs: ["docs/verdicts.md"], sources: ["Bug Check 0x18: REFERENCE_BY_POINTER"]),
        Explanation(
            code: "EMULATOR_INTERNAL", family: .runtime, title: "the memory model could not apply an action (a tool fault)",
            rule: "hvcisim's memory model failed to do something the run asked of it. Not a property of the driver.",
            windows: "Nothing: this is the tool, not Windows. The run's results after it may be incomplete.",
            causes: "A gap or bug in hvcisim.",
            fix: "Report it to the hvcisim maintainers with the driver (or the report).",
            snippet: "/* nothing to change in the driver */",
            samples: [], docs: ["docs/verdicts.md"], sources: []),
    ]
}
