import CPU
import Events
import Memory

/// A handler for one kernel export: reads its arguments from `call`, does
/// what the DDI documents, returns the value for RAX. Throwing `KernelStop`
/// ends the entry point; any other error (a bad guest pointer) becomes bug
/// check 0x50, as a kernel touching a bad address would.
public typealias KernelHandler = @Sendable (KernelCall) throws -> UInt64

/// The state of one call into the kernel model: arguments by the Microsoft
/// x64 convention (RCX, RDX, R8, R9, then the stack above the 0x20-byte
/// shadow space), the call site, and notes for the trace.
public final class KernelCall {
    public unowned let kernel: Kernel
    public let function: String
    /// The return address: the instruction after the driver's `call`.
    public let returnAddress: UInt64
    /// RSP at entry (pointing at the return address).
    public let stackPointer: UInt64
    /// Who the routine's memory accesses are made by, for the memory model: the routine, the
    /// driver's call (the return address) and the routine's own address (its trampoline slot).
    public let routineCall: RoutineCall
    var notes: [String] = []
    /// Wait deadlines by timeout pointer, fixed at the wait's start (SynchronizationArea.deadline).
    var waitDeadlines: [UInt64: UInt64] = [:]
    private var cache: [Int: UInt64] = [:]

    init(kernel: Kernel, function: String) throws {
        self.kernel = kernel
        self.function = function
        stackPointer = try kernel.engine.read(.rsp)
        returnAddress = try kernel.readU64(stackPointer)
        routineCall = RoutineCall(routine: function, site: returnAddress, entry: (try? kernel.engine.read(.rip)) ?? 0)
    }

    /// Argument `index` (0-based) as a 64-bit value.
    public func arg(_ index: Int) throws -> UInt64 {
        if let value = cache[index] { return value }
        let value: UInt64
        if index < 4 {
            value = try kernel.engine.read(Register.windowsArguments[index])
        } else {
            value = try kernel.readU64(stackPointer &+ 0x28 &+ UInt64(index - 4) * 8)
        }
        cache[index] = value
        return value
    }

    /// The low 32 bits of argument `index` (ULONG, NTSTATUS, enum arguments).
    public func arg32(_ index: Int) throws -> UInt32 { UInt32(truncatingIfNeeded: try arg(index)) }

    /// Adds a decoded fact to the trace and the report ("tag 'Hook'").
    public func note(_ text: String) { notes.append(text) }

    /// The call site, symbolised.
    public var site: CodeSite { CodeSite(address: returnAddress, symbol: kernel.symbolize(returnAddress)) }
}

extension Kernel {
    /// Runs the handler of trampoline slot `slot` (called from the code hook).
    func dispatch(slot index: Int) {
        guard index > 0, index < trampolines.slots.count else { return }
        let slot = trampolines.slots[index]
        guard callCount < configuration.kernelCallLimit else {
            // The refused call is not counted: `kernelCalls` in the report never exceeds the limit.
            stop(.kernelCallLimit(configuration.kernelCallLimit))
            return
        }
        callCount += 1
        let call: KernelCall
        do {
            call = try KernelCall(kernel: self, function: slot.name)
        } catch {
            stop(.bugCheck(code: 0x50, parameters: [0, 0, 0, 0], site: 0))
            return
        }
        beforeCall?(call)
        let clockBefore = processor.systemTime
        var result: UInt64
        do {
            if let handler = slot.handler {
                if slot.stub { stubHits[slot.name, default: 0] += 1 }
                result = try acting(for: call) { try handler(call) }
            } else {
                result = unmodeled(call)
            }
        } catch let reason as KernelStop {
            stop(reason)
            result = 0
        } catch let fault as GuestAccessError where fault.unmapped != nil {
            // The routine touched unmapped memory for the driver: the driver's fault (0x50) at its call.
            call.note("\(fault)")
            let violation = memory.reportRoutineFault(at: fault.unmapped ?? fault.address, access: fault.write ? .write : .read,
                                                      for: call.routineCall)
            stop(.bugCheck(code: violation.bugCheckCode, parameters: violation.bugCheckParameters, site: call.returnAddress))
            result = 0
        } catch {
            call.note("\(error)")
            stop(.bugCheck(code: 0x50, parameters: [0, 0, call.returnAddress, 0], site: call.returnAddress))
            result = 0
        }
        try? engine.write(.rax, result)
        checkBudget(call, result: result, elapsed: processor.systemTime >= clockBefore ? processor.systemTime - clockBefore : 0)
        let arguments = (0..<4).map { (try? call.arg($0)) ?? 0 }
        if calls.count < configuration.recordedCallLimit {
            calls.append(KernelCallRecord(function: slot.name, arguments: arguments, returnValue: result,
                                          site: call.returnAddress, notes: call.notes, modeled: slot.handler != nil,
                                          stub: slot.stub))
        }
        if let onTrace {
            let args = arguments.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
            let notes = call.notes.isEmpty ? "" : "  ; " + call.notes.joined(separator: "; ")
            onTrace("[kcall] \(slot.name)(\(args)) -> 0x\(String(result, radix: 16))  from \(symbolize(call.returnAddress))\(notes)")
        }
    }

    /// Runs `body` as `call`'s handler: the guest writes it makes are `call`'s (`activeCall`).
    func acting<T>(for call: KernelCall, _ body: () throws -> T) rethrows -> T {
        let outer = activeCall
        activeCall = call
        defer { activeCall = outer }
        return try body()
    }

    /// The fallback for imports without a handler: logged, returns the configured value.
    private func unmodeled(_ call: KernelCall) -> UInt64 {
        fallbackHits[call.function, default: 0] += 1
        call.note("unmodeled \(call.function)")
        return configuration.unmodeledReturnValue
    }
}
