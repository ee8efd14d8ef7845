import CPU
import Kernel
import Loader

/// What the processor raised, and what Windows makes of it (docs/cpu-behaviour.md).
struct ProcessorException {
    /// The NTSTATUS Windows raises (STATUS_ILLEGAL_INSTRUCTION, STATUS_BREAKPOINT, …).
    var code: UInt32
    /// ExceptionAddress: the faulting instruction (for int3, the int3 itself).
    var address: UInt64
    /// Whether the driver's handlers see it; __fastfail and unexpected vectors bug check directly.
    var dispatchable = true
    /// The bug check when nothing handles it.
    var unhandled: Outcome
    /// A note for the report (the patched encoding, the MSR index).
    var note: String?

    /// KMODE_EXCEPTION_NOT_HANDLED with the exception code and address.
    init(code: UInt32, address: UInt64, note: String? = nil) {
        self.code = code
        self.address = address
        self.note = note
        unhandled = .bugCheck(code: 0x1E, parameters: [UInt64(code), address, 0, 0])
    }

    init(bugCheck: Outcome, at address: UInt64) {
        code = 0
        self.address = address
        dispatchable = false
        unhandled = bugCheck
    }
}

extension EntryCaller {
    enum Halt { case resume(UInt64), hang }

    /// The exception the last stop stands for, if any: an interrupt the hook saw, #UD from Unicorn,
    /// or the #GP of a privileged instruction.
    func processorException(failure: EngineError?, rip: UInt64) -> ProcessorException? {
        if let fault = privileged?.take() {
            let what = fault.kind == .rdpmc ? "counter" : "MSR"
            return ProcessorException(code: 0xC000_0096, address: fault.rip,
                                      note: "\(fault.kind.rawValue) of \(what) 0x\(String(fault.index, radix: 16)): #GP(0), "
                                          + "which Windows raises as STATUS_PRIVILEGED_INSTRUCTION")
        }
        if let number = interrupt {
            interrupt = nil  // a handler may resume the run
            return exception(forVector: number, rip: rip)
        }
        if failure?.unicornCode == .invalidInstruction {
            let note = patchedSites[rip].map { site in
                "\(site.kind.title) at 0x\(String(rip, radix: 16)) (bytes "
                    + site.original.map { String(format2: $0) }.joined(separator: " ")
                    + "): the loader put ud2 in its place because QEMU cannot translate it; a CPU raises #UD there too"
            }
            return ProcessorException(code: 0xC000_001D, address: rip, note: note)
        }
        return nil
    }

    /// Unicorn reports software interrupts with RIP after the instruction, faults at it.
    private func exception(forVector number: UInt32, rip: UInt64) -> ProcessorException {
        switch number {
        case 3: return ProcessorException(code: 0x8000_0003, address: rip &- 1)  // breakpoint, no debugger attached
        case 6: return ProcessorException(code: 0xC000_001D, address: rip)        // #UD
        case 0: return ProcessorException(code: 0xC000_0094, address: rip)        // #DE
        case 0x2C: return ProcessorException(code: 0xC000_0420, address: rip &- 2) // __assert (int 2Ch)
        case 0x29: // __fastfail(code): KERNEL_SECURITY_CHECK_FAILURE, p1 the fast-fail code (RCX); not catchable
            return ProcessorException(bugCheck: .bugCheck(code: 0x139, parameters: [(try? kernel.engine.read(.rcx)) ?? 0, 0, 0, 0]),
                                      at: rip)
        default:
            return ProcessorException(bugCheck: .bugCheck(code: 0x7F, parameters: [UInt64(number), 0, 0, 0]), at: rip)
        }
    }

    /// Hands the exception to the driver's handlers; the address to resume at if one took it.
    func dispatch(_ exception: ProcessorException) -> UInt64? {
        guard var context = try? kernel.currentContext() else { return nil }
        context.rip = exception.address
        guard case .resume(let target)? = try? kernel.dispatchException(code: exception.code, address: exception.address,
                                                                          parameters: [], context: context) else { return nil }
        return target.rip
    }

    /// Unicorn ends emulation after `hlt` with RIP past it. On Windows at ring 0 the processor
    /// sleeps until the next interrupt (the clock, within a tick) and goes on; with interrupts
    /// disabled (cli; hlt) nothing but NMI/SMI wakes it: the processor hangs, which the other
    /// processors' clock watchdog reports as CLOCK_WATCHDOG_TIMEOUT (0x101).
    func halted(before rip: UInt64) -> Halt? {
        guard rip > 0, let byte = try? kernel.memory.read(rip - 1, count: 1, mode: .privileged), byte == [0xF4] else { return nil }
        let flags = (try? kernel.engine.read(.rflags)) ?? 0x200
        return flags & 0x200 != 0 ? .resume(rip) : .hang
    }
}
