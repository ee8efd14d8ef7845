extension Explanations {
    /// For the bug checks that are not HVCI rules.
    static let notHVCI = """
    Not an HVCI rule: raised the same with memory integrity on or off and with Driver Verifier's \
    code-integrity option on or off.
    """

    /// An entry for a bug check; its Microsoft source is the bug check's own reference page.
    static func bugCheck(_ number: String, _ name: String, _ title: String, rule: String, windows: String = notHVCI,
                         causes: String, fix: String, snippet: String, samples: [String] = [],
                         docs: [String] = ["docs/verdicts.md"]) -> Explanation {
        Explanation(code: number, family: .bugCheck, title: "\(name): \(title)", aliases: [name], rule: rule,
                    windows: windows, causes: causes, fix: fix, snippet: snippet, samples: samples, docs: docs,
                    sources: ["Bug Check \(number): \(name)", "Bug check code reference"])
    }

    /// Said of the codes hvcisim never raises by itself.
    static let driverRaised = "hvcisim raises it only when the driver calls KeBugCheck(Ex) with it; the report then names it."

    static let bugChecks: [Explanation] = hvciBugChecks + kernelBugChecks + otherBugChecks

    private static let hvciBugChecks: [Explanation] = [
        bugCheck("0xBE", "ATTEMPTED_WRITE_TO_READONLY_MEMORY", "a write to read-only memory",
                 rule: "p1 the address written, p2 the PTE contents, p3 and p4 reserved (hvcisim: 0). Findings CODE_PAGE_WRITE and READONLY_WRITE carry it.",
                 windows: """
                 Memory integrity on: any write to a code frame, through any mapping and with CR0.WP in \
                 any state (the SLAT). Off: a write the PTE refuses with CR0.WP set. Microsoft does not say \
                 which parameters Windows passes when the SLAT refuses; hvcisim passes the same as for a \
                 PTE refusal (docs/memory-behaviour.md). Driver Verifier's option adds nothing.
                 """,
                 causes: "Code patching, self-modifying code, writes to .rdata or string literals.",
                 fix: "Do not write code or read-only data; see `hvcisim explain CODE_PAGE_WRITE`.",
                 snippet: "static LONG (*g_impl)(void) = ReturnsOne;   /* state in data, not patched code */",
                 samples: ["code-write", "cr0-wp-patch", "mdl-alias-patch", "kernel-memcpy-patch", "mdl-alias-rtlcopy",
                           "self-modifying (hostile)", "wild-write-kusd (hostile)"],
                 docs: ["docs/memory-behaviour.md", "docs/hvci.md"]),
        bugCheck("0xFC", "ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY", "execution of no-execute memory",
                 rule: "p1 the address executed, p2 the PTE contents, p3 and p4 reserved (hvcisim: 0). Findings DATA_EXECUTION and SMEP_VIOLATION carry it.",
                 windows: """
                 Memory integrity on: any fetch from a frame Code Integrity did not verify as image code. \
                 Off: a fetch the PTE forbids (NX), or a user page (SMEP). With Driver Verifier's \
                 option on, asking for the executable memory is already 0xC4/0x2000–0x2002.
                 """,
                 causes: "Running code from pool, the stack or a mapping; clearing NX in a PTE.",
                 fix: "Keep code in the image; see `hvcisim explain DATA_EXECUTION`.",
                 snippet: "Thunk();   /* call code in .text, never a copy in pool */",
                 samples: ["pool-exec", "pte-nx-clear"], docs: ["docs/memory-behaviour.md", "docs/load-rules.md", "docs/hvci.md"]),
        bugCheck("0xC4", "DRIVER_VERIFIER_DETECTED_VIOLATION", "Driver Verifier found a violation",
                 rule: "Raised by Driver Verifier. hvcisim raises it for the code-integrity subcodes: p1 0x2000–0x2005 (`hvcisim explain 0x2000` … `0x2005`).",
                 windows: """
                 Only with Driver Verifier's code-integrity option on (verifier flag 0x02000000), with \
                 memory integrity on or off; Driver Verifier stops before the hypervisor would (DESIGN.md \
                 §2.5). With the option off Windows never raises these subcodes.
                 """,
                 causes: "Executable pool, protections or MDL mappings (0x2000–0x2002); W+X, misaligned or IAT-in-code images (0x2003–0x2005).",
                 fix: "See the entry of parameter 1, e.g. `hvcisim explain 0xC4/0x2000`.",
                 snippet: "buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'xDvH');   /* 0x2000 fixed */",
                 samples: ["nonpaged-pool", "zwalloc-rwx", "mdl-exec-mapping", "rwx-section", "misaligned-sections", "iat-in-exec-section"],
                 docs: ["docs/ddi-checks.md", "docs/load-rules.md", "docs/configurations.md"]),
        bugCheck("0x50", "PAGE_FAULT_IN_NONPAGED_AREA", "an access to invalid memory",
                 rule: "p1 the address, p2 0 read / 2 write / 0x10 execute, p3 the instruction, p4 2 (or 4 for a non-canonical address). Finding INVALID_ACCESS carries it.",
                 causes: "NULL or freed pointers, wrong lengths, unterminated strings, runaway recursion.",
                 fix: "Check pointers and lengths; see `hvcisim explain INVALID_ACCESS`.",
                 snippet: "if (ctx == NULL) return STATUS_INVALID_PARAMETER;",
                 samples: ["null-dereference (hostile)", "return-to-zero (hostile)", "unbounded-recursion (hostile)",
                           "unterminated-string (hostile)", "wild-write-kernel (hostile)", "wild-write-user (hostile)", "bogus-irp-buffers (hostile)"],
                 docs: ["docs/memory-behaviour.md"]),
        bugCheck("0x109", "CRITICAL_STRUCTURE_CORRUPTION", "Kernel Patch Protection found modified code or data",
                 rule: "On x64 Windows protects kernel code and some structures (dispatch tables, critical MSRs); a driver that changes them causes this bug check. " + driverRaised,
                 windows: """
                 Raised with memory integrity on or off ("Driver x64 restrictions"). With memory \
                 integrity on most such writes are refused first (0xBE, or HyperGuard state; \
                 `hvcisim explain LSTAR_WRITE`). Driver Verifier's option adds nothing.
                 """,
                 causes: "Patching kernel code, hooking the IDT, GDT or system service table, writing LSTAR.",
                 fix: "Use documented callbacks instead of patching.",
                 snippet: "PsSetCreateProcessNotifyRoutineEx(OnProcess, FALSE);   /* not a hook */",
                 docs: ["docs/verdicts.md", "docs/hvci.md"]),
        bugCheck("0x18C", "HYPERGUARD_VIOLATION", "the hypervisor found protected state changed",
                 rule: "Documented in the bug check reference. hvcisim models CR4.SMEP and LSTAR as protected (an assumption; no Microsoft page lists the protected registers) and reports them as findings, not as this bug check. " + driverRaised,
                 windows: "Only with memory integrity (virtualization-based security) on; Driver Verifier's option adds nothing.",
                 causes: "Changing control registers or MSRs the hypervisor guards.",
                 fix: "Do not write control registers or MSRs; see `hvcisim explain CR4_SMEP_CLEARED`.",
                 snippet: "/* no __writecr4 / __writemsr in a driver */",
                 samples: ["mov-cr (hostile)", "wrmsr-lstar (hostile)"], docs: ["docs/verdicts.md"]),
    ]
}
