import CPU
import Events
import Kernel
import Loader
import Memory

/// Calls one driver routine with the Microsoft x64 ABI and runs it to its
/// end: arguments in RCX, RDX, R8, R9 (then the stack above 0x20 bytes of
/// shadow space), RSP 16-byte aligned before the call, the kernel's return
/// trap as return address. Whatever happens inside becomes an `Outcome`.
final class EntryCaller {
    let kernel: Kernel
    let memory: MemoryModel
    let stackTop: UInt64
    let options: RunOptions
    /// Counts instructions against --max-instructions (C block hook; nil when counting is off).
    let counter: BlockCounter?
    /// rdmsr/wrmsr/rdpmc of the driver, watched at their addresses (nil before an image is loaded).
    let privileged: PrivilegedInstructionWatch?
    /// Addresses where the loader put `ud2` in place of an encoding QEMU cannot translate.
    let patchedSites: [UInt64: InstructionSite]
    /// The interrupt (int3, int n, #UD …) that stopped emulation, if any.
    var interrupt: UInt32?
    /// What the processor layer has to say about this call (a patched encoding, an MSR #GP, a hlt).
    var runNotes: [String] = []
    private var interruptHook: HookHandle?

    init(kernel: Kernel, stackTop: UInt64, options: RunOptions, sites: [InstructionSite] = []) throws {
        self.kernel = kernel
        privileged = try PrivilegedInstructionWatch(engine: kernel.engine, sites: sites)
        patchedSites = Dictionary(sites.filter(\.patched).map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        memory = kernel.memory
        self.stackTop = stackTop
        self.options = options
        counter = options.limits.maxInstructions > 0
            ? try kernel.engine.addBlockCounter(budget: options.limits.maxInstructions) : nil
        interruptHook = try kernel.engine.addInterruptHook { [unowned self] engine, number in
            interrupt = number
            engine.stop()
        }
    }

    /// `queued`: a routine the driver queued (thread, work item, DPC, timer, callback), which
    /// the virtual-time budget applies to.
    func call(_ name: String, at address: UInt64, arguments: [UInt64], queued: Bool = false,
              findings: () -> [Finding]) -> EntryPointResult {
        let engine = kernel.engine
        let callsBefore = kernel.callCount, recordedBefore = kernel.calls.count
        kernel.beginEntryPoint(queued: queued)
        _ = memory.takeStopViolation()
        counter?.reset()
        interrupt = nil
        _ = privileged?.take()
        _ = privileged?.takePortSummary()
        runNotes = []
        var outcome: Outcome
        options.observer?.entryStarted(name, address: address)
        do {
            try setUpFrame(address: address, arguments: arguments)
            outcome = run(from: address)
        } catch {
            outcome = .emulationError("setting up the call: \(error)")
        }
        _ = engine
        if let ports = privileged?.takePortSummary() { runNotes.append(ports) }
        var result = EntryPointResult(name: name, address: address, outcome: outcome, instructions: counter?.count,
                                      kernelCalls: kernel.callCount - callsBefore,
                                      calls: Array(kernel.calls[recordedBefore...]), findings: findings(), notes: runNotes)
        result.notes += kernel.takeParkedNotes()
        if case .parked = outcome {
            result.notes.append("parked: the routine kept looping; on Windows it would go on in the background. "
                                + "The run goes on with the next entry point (docs/virtual-time.md)")
        }
        options.observer?.entryFinished(result)
        return result
    }

    private func setUpFrame(address: UInt64, arguments: [UInt64]) throws {
        let engine = kernel.engine
        let stackArguments = max(0, arguments.count - 4)
        // Frame: [return address][shadow 0x20][stack args…], RSP ≡ 8 (mod 16) at entry.
        var rsp = (stackTop - 0x100) & ~0xF
        rsp -= UInt64((stackArguments + 1) / 2 * 16)
        rsp -= 0x20 + 8
        try kernel.writeU64(rsp, kernel.returnTrap)
        for (index, value) in arguments.enumerated() {
            if index < 4 {
                try engine.write(Register.windowsArguments[index], value)
            } else {
                try kernel.writeU64(rsp + 0x28 + UInt64(index - 4) * 8, value)
            }
        }
        for register in [Register.rax, .rbx, .rsi, .rdi, .rbp, .r10, .r11, .r12, .r13, .r14, .r15] {
            try engine.write(register, 0)
        }
        for index in arguments.count..<4 { try engine.write(Register.windowsArguments[index], 0) }
        try engine.write(.rsp, rsp)
        try engine.write(.rflags, 0x202)
        try engine.write(.rip, address)
    }

    private func run(from address: UInt64) -> Outcome {
        let engine = kernel.engine
        // One deadline for the whole entry point, however often the run is resumed.
        let watchdog = Watchdog(engine: engine, seconds: options.limits.timeoutSeconds)
        defer { watchdog.finish() }
        var resumeAt = address
        var deniedExecutions = 0
        var dispatchedFaults = 0
        while true {
            var failure: EngineError?
            do {
                try memory.run(at: resumeAt, until: kernel.returnTrap)
            } catch {
                failure = error
            }
            if let stop = kernel.stopReason { return outcome(for: stop) }
            if let violation = memory.takeStopViolation() {
                // A bad *user* address inside __try is an exception the driver may handle (ProbeForRead
                // and friends aside, that is how Windows treats it); kernel addresses bug check directly.
                if violation.kind == .unmapped, violation.access != .execute, violation.address < 0x7FFF_FFFF_0000,
                   dispatchedFaults < 64, var context = try? kernel.currentContext() {
                    context.rip = violation.rip
                    if case .resume(let target)? = try? kernel.dispatchException(
                        code: 0xC000_0005, address: violation.rip,
                        parameters: [violation.access == .write ? 1 : 0, violation.address], context: context) {
                        dispatchedFaults += 1
                        resumeAt = target.rip
                        continue
                    }
                }
                // Audit: a denied fetch is logged and the call into data "returns" as failed,
                // so the rest of the routine still runs and its other violations are found.
                if violation.kind.isFetch, options.enforcement == .audit,
                   deniedExecutions < 64, let resume = returnFromDeniedCall() {
                    deniedExecutions += 1
                    resumeAt = resume
                    continue
                }
                return .bugCheck(code: violation.bugCheckCode, parameters: violation.bugCheckParameters)
            }
            if counter?.exceeded == true { return .instructionLimit(options.limits.maxInstructions) }
            if watchdog.finish() { return .timeout(options.limits.timeoutSeconds) }
            let rip = (try? engine.read(.rip)) ?? 0
            if rip == kernel.returnTrap, failure == nil { return .returned((try? engine.read(.rax)) ?? 0) }
            if let exception = processorException(failure: failure, rip: rip) {
                if let note = exception.note { runNotes.append(note) }
                // Windows dispatches a CPU exception to the driver's own handlers first (__try/__except).
                if exception.dispatchable, dispatchedFaults < 64, let target = dispatch(exception) {
                    dispatchedFaults += 1
                    resumeAt = target
                    continue
                }
                return exception.unhandled
            }
            if failure == nil, let halt = halted(before: rip) {
                guard case .resume(let next) = halt else {
                    runNotes.append("hlt with interrupts disabled at 0x\(String(rip &- 1, radix: 16)): the processor never wakes up")
                    return .bugCheck(code: 0x101, parameters: [0, 0, 0, 0])
                }
                resumeAt = next
                continue
            }
            if let failure { return .emulationError("\(failure) at rip 0x\(String(rip, radix: 16))") }
            return .emulationError("emulation stopped at rip 0x\(String(rip, radix: 16))")
        }
    }

    /// Pops the return address of a call into non-executable memory if it points
    /// back into code, with RAX = 0; nil when the stack does not look like a call.
    private func returnFromDeniedCall() -> UInt64? {
        let engine = kernel.engine
        guard let rsp = try? engine.read(.rsp), let target = try? kernel.readU64(rsp),
              let rights = memory.effectiveRights(of: target), rights.contains(.execute) else { return nil }
        do {
            try engine.write(.rsp, rsp + 8)
            try engine.write(.rax, 0)
            try engine.write(.rip, target)
        } catch { return nil }
        return target
    }

    private func outcome(for stop: KernelStop) -> Outcome {
        switch stop {
        case let .bugCheck(code, parameters, _): return .bugCheck(code: code, parameters: parameters)
        case .kernelCallLimit(let n): return .kernelCallLimit(n)
        case .unsatisfiableWait(let what): return .unsatisfiableWait(what)
        case .parked(let why): return .parked(why)
        case let .verifierViolation(_, _, parameters):
            // The same p1–p4 as the finding (DV's table, DESIGN.md §2.3).
            return .bugCheck(code: 0xC4, parameters: parameters)
        }
    }
}
