import CPU
import Events
import Kernel
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
    /// The interrupt (int3, int n, #UD …) that stopped emulation, if any.
    private var interrupt: UInt32?
    private var interruptHook: HookHandle?

    init(kernel: Kernel, stackTop: UInt64, options: RunOptions) throws {
        self.kernel = kernel
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
        var outcome: Outcome
        options.observer?.entryStarted(name, address: address)
        do {
            try setUpFrame(address: address, arguments: arguments)
            outcome = run(from: address)
        } catch {
            outcome = .emulationError("setting up the call: \(error)")
        }
        _ = engine
        var result = EntryPointResult(name: name, address: address, outcome: outcome, instructions: counter?.count,
                                      kernelCalls: kernel.callCount - callsBefore,
                                      calls: Array(kernel.calls[recordedBefore...]), findings: findings())
        result.notes = kernel.takeParkedNotes()
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
            if let number = interrupt { return interruptOutcome(number, rip: rip) }
            if let failure {
                if failure.unicornCode == .invalidInstruction {
                    return .bugCheck(code: 0x1E, parameters: [0xC000_001D, rip, 0, 0])
                }
                return .emulationError("\(failure) at rip 0x\(String(rip, radix: 16))")
            }
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

    private func interruptOutcome(_ number: UInt32, rip: UInt64) -> Outcome {
        switch number {
        case 3: return .bugCheck(code: 0x1E, parameters: [0x8000_0003, rip, 0, 0]) // breakpoint, no debugger
        case 6: return .bugCheck(code: 0x1E, parameters: [0xC000_001D, rip, 0, 0]) // #UD
        case 0: return .bugCheck(code: 0x1E, parameters: [0xC000_0094, rip, 0, 0]) // divide by zero
        case 0x2C: return .bugCheck(code: 0x1E, parameters: [0xC000_0420, rip, 0, 0]) // __assert
        case 0x29: // __fastfail(code): KERNEL_SECURITY_CHECK_FAILURE, p1 the fast-fail code (RCX)
            return .bugCheck(code: 0x139, parameters: [(try? kernel.engine.read(.rcx)) ?? 0, 0, 0, 0])
        default: return .bugCheck(code: 0x7F, parameters: [UInt64(number), 0, 0, 0])
        }
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
