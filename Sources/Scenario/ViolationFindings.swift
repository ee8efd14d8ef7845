import PEImage
import CPU
import Events
import Memory

/// Turns what the memory model logged into findings in the report's terms:
/// what happened, where (symbolised RIP and the instruction), to whose memory,
/// with which PTE and SLAT rights, and the bug check Windows would raise.
struct ViolationFindings {
    let memory: MemoryModel
    let symbolize: (UInt64) -> String
    let stack: (UInt64) -> [UInt64]
    /// A finer owner than the memory model knows (the pool block inside a shared pool chunk).
    var refineOwner: (UInt64) -> String? = { _ in nil }
    /// Disassemble at once (for --trace, which prints the instruction as it happens). Otherwise
    /// only the bytes are kept and DriverRunner disassembles after the run: loading Capstone
    /// while the emulator's memory is in use would add its ~4.7 MiB to the run's peak.
    var disassembleNow = false

    private func instructionText(_ rip: UInt64) -> String? {
        disassembleNow ? memory.disassemble(at: rip)?.text : nil
    }

    func finding(for event: MemoryEvent) -> Finding? {
        switch event {
        case .violation(let violation): return finding(for: violation)
        case .writeProtectBypass(let address, let rip, let routine):
            // A routine's write is located at the driver's call (the return address): no instruction of its own.
            return Finding(code: "CR0_WP_BYPASS",
                           title: "write to read-only memory with CR0.WP cleared (legacy: the write went through)" + by(routine),
                           severity: .error, phase: .runtime,
                           fix: "never clear CR0.WP to patch code or read-only data; HVCI makes such writes impossible (and PatchGuard bug checks 0x109)",
                           details: [(key: "target", value: hex(address)), (key: "owner", value: ownerText(address))]
                               + (routine.map { [(key: "function", value: $0)] } ?? [])
                               + [(key: "hvci", value: memory.hvciEnabled ? "on" : "off")] + bypassDetails(address),
                           site: site(rip), instruction: routine == nil ? instructionText(rip) : nil,
                           instructionBytes: routine == nil ? memory.instructionBytes(at: rip) : [], stack: stackSites())
        case .pageTableEdit(let edit):
            let gainsExecute = edit.after.rights.contains(.execute) && !edit.before.rights.contains(.execute)
            let becomesWX = edit.after.rights.isSuperset(of: [.write, .execute])
            // With HVCI on the memory model reports the same edit as a pteTamper violation.
            guard gainsExecute || becomesWX, !memory.hvciEnabled, let rip = edit.rip else { return nil }
            return Finding(code: "PTE_TAMPER",
                           title: "page-table edit makes \(becomesWX ? "a page writable and executable" : "data executable") (PTE \(edit.before.rights) -> \(edit.after.rights))",
                           severity: .warning, phase: .runtime,
                           fix: "do not edit PTEs; allocate non-executable memory and keep code in the image (HVCI's SLAT ignores such edits)",
                           details: [(key: "page", value: hex(edit.virtualAddress)), (key: "pte", value: hex(edit.pteAddress)),
                                     (key: "before", value: hex(edit.before.raw)), (key: "after", value: hex(edit.after.raw)),
                                     (key: "owner", value: ownerText(edit.virtualAddress)),
                                     (key: "hvci", value: memory.hvciEnabled ? "on" : "off")] + editDetails(edit),
                           site: site(rip), instruction: instructionText(rip), instructionBytes: memory.instructionBytes(at: rip), stack: stackSites())
        case .internalError(let text):
            return Finding(code: "EMULATOR_INTERNAL", title: "the memory model could not apply an action: \(text)",
                           severity: .warning, phase: .runtime, fix: "report this to the hvcisim maintainers")
        }
    }

    func finding(for v: Violation) -> Finding? {
        let (code, title, fix) = Self.describe(v)
        let tamper = v.kind == .pteTamper
        var details: [(key: String, value: String)] = [
            (key: "access", value: v.access.rawValue), (key: "target", value: hex(v.address)),
            (key: "owner", value: refineOwner(v.address) ?? v.owner?.description ?? "nothing mapped"),
        ]
        if let frameOwner = v.frameOwner, frameOwner != v.owner { details.append((key: "frameOwner", value: frameOwner.description)) }
        if let routine = v.routine { details.append((key: "function", value: routine)) }
        details += [(key: "pte", value: v.pteRights?.description ?? "not present"),
                    (key: "slat", value: v.slatRights?.description ?? "none"),
                    (key: "deniedBy", value: v.deniedBy.rawValue),
                    (key: "hvci", value: v.hvci ? "on" : "off")]
        if tamper {
            details += [(key: "before", value: hex(v.pteBefore?.raw ?? 0)), (key: "after", value: hex(v.pteAfter?.raw ?? 0)),
                        (key: "action", value: "logged (not a fault: the SLAT decides when the page is used)")]
        } else {
            details.append((key: "action", value: v.continued ? "logged and continued (audit)" : "stopped"))
        }
        details += levelDetails(v)
        // A kernel routine's access is located at the driver's call (the return address): the
        // instruction there is the one after the call, so none is shown.
        let ownInstruction = v.routine == nil
        return Finding(code: code, title: title + by(v.routine), severity: tamper ? .warning : .error, phase: .runtime, fix: fix,
                       bugCheck: tamper ? nil : BugCheck(code: v.bugCheckCode, parameters: v.bugCheckParameters.map { hex($0) }),
                       details: details, site: site(v.rip), instruction: ownInstruction ? instructionText(v.rip) : nil,
                       instructionBytes: ownInstruction ? memory.instructionBytes(at: v.rip) : [], stack: stackSites())
    }

    private func by(_ routine: String?) -> String { routine.map { " by \($0), called by the driver" } ?? "" }

    static func describe(_ v: Violation) -> (String, String, String) {
        let by = v.deniedBy == .slat ? " (blocked by the SLAT: HVCI)" : ""
        switch v.kind {
        case .codePageWrite:
            return ("CODE_PAGE_WRITE", "write to a code page\(by)",
                    "do not modify code at run time; keep patchable state in data and call through function pointers")
        case .readOnlyWrite:
            return ("READONLY_WRITE", "write to read-only memory\(by)", "write only to writable data; check the pointer")
        case .executeNonVerified:
            return ("DATA_EXECUTION", "execution of memory Code Integrity did not verify\(by)",
                    "never run code from pool, stack or mappings; put the code in the image's .text section")
        case .smepViolation:
            return ("SMEP_VIOLATION", "kernel-mode execution of a user-mode page (SMEP fault, HVCI on or off)",
                    "never run code from user memory (ZwAllocateVirtualMemory, a user buffer) in kernel mode; keep the code in the image's .text section")
        case .pteTamper:
            return ("PTE_TAMPER", "page-table edit asks for what the SLAT will not give (execute on data or write on code)",
                    "do not edit PTEs; HVCI's SLAT ignores such edits, and using the page bug checks (0xFC / 0xBE)")
        case .unmapped:
            return ("INVALID_ACCESS", "\(v.access.rawValue) of unmapped memory", "check the pointer (page fault in nonpaged area)")
        }
    }

    func site(_ rip: UInt64) -> CodeSite { CodeSite(address: rip, symbol: symbolize(rip)) }

    func stackSites() -> [CodeSite] {
        let rsp = (try? memory.engine.read(.rsp)) ?? 0
        return stack(rsp).map(site)
    }

    func ownerText(_ address: UInt64) -> String {
        refineOwner(address) ?? memory.owner(of: address)?.description ?? "nothing mapped"
    }
}
