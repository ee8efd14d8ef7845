import CPU

/// The kernel model's structured exception handling: __C_specific_handler, RtlUnwind(Ex), ExRaiseStatus, RtlRaiseException, ProbeForRead/ProbeForWrite raising, __chkstk, _purecall, RtlAssert.
///
/// A raise runs `ExceptionDispatcher` from the caller's context (RIP = the
/// return address, RSP above it, the other registers as the CPU holds them):
/// the driver's `__try/__except` blocks are found through .pdata and their
/// SCOPE_TABLEs, and control goes on in the `__except` block (or in a guest
/// filter first) by the trampoline's `ret` — the handler points RSP at a slot
/// holding the continuation address. Nothing takes the exception: bug check
/// 0x1E KMODE_EXCEPTION_NOT_HANDLED (code, address, 0, 0), as on Windows.
enum ExceptionsArea {
    static let statusAccessViolation: UInt32 = 0xC000_0005
    static let statusDatatypeMisalignment: UInt32 = 0x8000_0002
    static let statusNotImplemented: UInt32 = 0xC000_0002
    static let statusInvalidUnwindTarget: UInt32 = 0xC000_0029
    /// STATUS_UNWIND: the code of the record RtlUnwindEx makes when the caller passes none.
    static let statusUnwind: UInt32 = 0xC000_0027
    /// MmUserProbeAddress on x64 (the DataExports value).
    static let userProbeAddress: UInt64 = 0x7FFF_FFFF_0000
    static let pageSize: UInt64 = 0x1000

    static let handlers: [KernelExport] = [
        .ntoskrnl("ExRaiseStatus") { call in try raise(call, code: call.arg32(0), flags: ExceptionInfo.noncontinuable) },
        .ntoskrnl("RtlRaiseStatus") { call in try raise(call, code: call.arg32(0), flags: ExceptionInfo.noncontinuable) },
        .ntoskrnl("ExRaiseAccessViolation") { call in
            try raise(call, code: statusAccessViolation, flags: ExceptionInfo.noncontinuable)
        },
        .ntoskrnl("ExRaiseDatatypeMisalignment") { call in
            try raise(call, code: statusDatatypeMisalignment, flags: ExceptionInfo.noncontinuable)
        },
        .ntoskrnl("RtlRaiseException") { call in
            let kernel = call.kernel, record = try call.arg(0)
            let code = try kernel.readU32(record &+ ExceptionLayout.recordCode)
            let flags = try kernel.readU32(record &+ ExceptionLayout.recordFlags)
            let count = min(Int(try kernel.readU32(record &+ ExceptionLayout.recordParameterCount)), 15)
            let parameters = try (0..<count).map { try kernel.readU64(record &+ ExceptionLayout.recordParameters &+ UInt64(8 * $0)) }
            return try raise(call, code: code, flags: flags, parameters: parameters)
        },
        .ntoskrnl("ProbeForRead") { call in try probe(call, write: false) },
        .ntoskrnl("ProbeForWrite") { call in try probe(call, write: true) },
        .ntoskrnl("RtlCaptureContext") { call in
            cacheArguments(call)
            let kernel = call.kernel
            var context = try kernel.currentContext()
            context.rsp = call.stackPointer &+ 8
            context.rip = call.returnAddress
            try ExceptionDispatcher(kernel: kernel).writeContext(context, at: try call.arg(0))
            return try kernel.engine.read(.rax)
        },
        .ntoskrnl("RtlLookupFunctionEntry") { call in
            let kernel = call.kernel, pc = try call.arg(0), imageBaseOut = try call.arg(1)
            let hit = kernel.exceptionImageLookup?(pc)
            if imageBaseOut != 0 { try kernel.writeU64(imageBaseOut, hit?.function == nil ? 0 : hit!.imageBase) }
            guard let function = hit?.function else { return 0 }
            call.note("RUNTIME_FUNCTION at 0x\(String(function.entryAddress, radix: 16))")
            return function.entryAddress
        },
        .ntoskrnl("RtlVirtualUnwind") { call in try virtualUnwind(call) },
        .ntoskrnl("RtlUnwind") { call in try unwind(call, contextRecord: 0) },
        .ntoskrnl("RtlUnwindEx") { call in try unwind(call, contextRecord: try call.arg(4)) },
        .ntoskrnl("__C_specific_handler") { call in
            // Only the OS dispatcher calls it; the model's dispatcher walks scope tables itself.
            call.note("called directly by driver code: returns ExceptionContinueSearch")
            return 1
        }.stub("only the OS exception dispatcher calls it; the model's dispatcher walks scope tables itself"),
        // The kernel stack is committed: nothing to probe. __chkstk keeps every register, RAX included.
        .ntoskrnl("__chkstk") { call in try call.kernel.engine.read(.rax) },
        // ReactOS' (and NT's) kernel _purecall raises STATUS_NOT_IMPLEMENTED; unhandled that is 0x1E.
        .ntoskrnl("_purecall") { call in
            call.note("pure virtual function call")
            return try raise(call, code: statusNotImplemented, flags: ExceptionInfo.noncontinuable)
        },
        .ntoskrnl("RtlAssert") { call in
            let kernel = call.kernel
            let assertion = (try? kernel.readCString(call.arg(0), maxLength: 1024)) ?? "?"
            let file = (try? kernel.readCString(call.arg(1), maxLength: 1024)) ?? "?"
            let message = (try? call.arg(3)).flatMap { $0 == 0 ? nil : try? kernel.readCString($0, maxLength: 1024) }
            let text = "*** Assertion failed: \(message.map { $0 + " " } ?? "")\(assertion)\n***   Source File: \(file), line \(try call.arg32(2))\n"
            kernel.debugOutput.append(text)
            // Without a kernel debugger DbgPrompt gets no answer and the assertion is ignored.
            call.note("assertion failed: \(assertion) (\(file):\(try call.arg32(2))); ignored, no debugger")
            return 0
        },
    ]

    // MARK: Raising

    /// Reads RCX, RDX, R8, R9 once so the call record keeps them after the registers are replaced.
    static func cacheArguments(_ call: KernelCall) {
        for index in 0..<4 { _ = try? call.arg(index) }
    }

    /// Raises `code` from the caller of the current export and transfers control to its handler.
    static func raise(_ call: KernelCall, code: UInt32, flags: UInt32, parameters: [UInt64] = []) throws -> UInt64 {
        cacheArguments(call)
        let kernel = call.kernel
        var context = try kernel.currentContext()
        context.rsp = call.stackPointer &+ 8
        context.rip = call.returnAddress
        let exception = ExceptionInfo(code: code, flags: flags, address: call.returnAddress, parameters: parameters)
        call.note("raises \(NTStatus.name(code))")
        let resolution = try ExceptionDispatcher(kernel: kernel).dispatch(exception, context: context)
        return try finish(call, resolution, exception)
    }

    static func finish(_ call: KernelCall, _ resolution: ExceptionResolution, _ exception: ExceptionInfo) throws -> UInt64 {
        switch resolution {
        case .resume(let target):
            call.note("continues at \(call.kernel.symbolize(target.rip))")
            return try transfer(call.kernel, to: target)
        case .unhandled:
            call.note("no __except takes it: KMODE_EXCEPTION_NOT_HANDLED")
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(exception.code), exception.address, 0, 0],
                                      site: exception.address)
        }
    }

    /// From inside a handler: loads `context` so that the slot's `ret` lands on
    /// `context.rip` with RSP = `context.rsp` (the continuation address goes just
    /// below it, in stack the target frame does not own). Returns RAX.
    static func transfer(_ kernel: Kernel, to context: X64Context) throws -> UInt64 {
        let slot = context.rsp &- 8
        try kernel.writeU64(slot, context.rip)
        var registers = context
        registers.rsp = slot
        try kernel.loadRegisters(registers)
        return context.rax
    }

    /// The filter-return trampoline: RAX holds the guest filter's verdict.
    static func resumeFromFilter(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let value = try kernel.engine.read(.rax)
        call.note("filter returned \(Int32(truncatingIfNeeded: value))")
        let (resolution, exception) = try ExceptionDispatcher(kernel: kernel).filterReturned(value)
        guard let exception else { throw KernelStop.bugCheck(code: 0x1E, parameters: [0, 0, 0, 0], site: 0) }
        return try finish(call, resolution, exception)
    }

    /// The termination-return trampoline: a `__finally` block called by the unwind returned.
    static func resumeFromTerminationHandler(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        call.note("termination handler returned")
        let (resolution, exception) = try ExceptionDispatcher(kernel: kernel).terminationHandlerReturned()
        guard let exception else { throw KernelStop.bugCheck(code: 0x1E, parameters: [0, 0, 0, 0], site: 0) }
        return try finish(call, resolution, exception)
    }

    // MARK: Probing

    /// ProbeForRead(Address, Length, Alignment) / ProbeForWrite, as ntoskrnl does them:
    /// Length 0 probes nothing; a misaligned Address raises STATUS_DATATYPE_MISALIGNMENT;
    /// a range ending above MmUserProbeAddress (0x7FFF'FFFF'0000) or wrapping raises
    /// STATUS_ACCESS_VIOLATION (ntoskrnl writes to MmUserProbeAddress to fault);
    /// ProbeForWrite then touches one byte of every page, so an unmapped user page faults too.
    ///
    /// A kernel-mode address is *always* rejected, whoever calls: a driver that probes
    /// a buffer sent by a kernel-mode caller (Irp->RequestorMode == KernelMode) gets an
    /// exception. Probe only when the previous mode is UserMode — and always then.
    static func probe(_ call: KernelCall, write: Bool) throws -> UInt64 {
        let address = try call.arg(0), length = try call.arg(1), alignment = try call.arg32(2)
        guard length != 0 else { return 0 }
        if alignment == 0 || alignment & (alignment &- 1) != 0 || alignment > 16 {
            call.note("Alignment \(alignment) is not 1, 2, 4, 8 or 16 (an ASSERT on checked builds)")
        }
        if address & (UInt64(alignment) &- 1) != 0 {
            return try raise(call, code: statusDatatypeMisalignment, flags: ExceptionInfo.noncontinuable)
        }
        let (end, wrapped) = address.addingReportingOverflow(length)
        if wrapped || end > userProbeAddress {
            if address >= userProbeAddress {
                call.note("0x\(String(address, radix: 16)) is a kernel address: probing raises whatever the caller's mode; probe only user-mode buffers")
            }
            return try raise(call, code: statusAccessViolation, flags: 0, parameters: [1, userProbeAddress])
        }
        if write {
            // Touch each page (read and write back its first probed byte), at most 4096 pages.
            var page = address
            var touched = 0
            while page < end, touched < 4096 {
                let ok = (try? call.kernel.readBytes(page, count: 1)).flatMap { bytes in
                    (try? call.kernel.memory.write(page, bytes)) != nil ? true : nil
                } ?? false
                guard ok else {
                    return try raise(call, code: statusAccessViolation, flags: 0, parameters: [1, page])
                }
                touched += 1
                page = (page & ~(pageSize - 1)) &+ pageSize
            }
        }
        return 0
    }

    // MARK: Unwinding

    /// RtlVirtualUnwind(HandlerType, ImageBase, ControlPc, FunctionEntry, ContextRecord,
    /// HandlerData*, EstablisherFrame*, ContextPointers*): one unwind step on a guest CONTEXT.
    static func virtualUnwind(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let handlerType = UInt8(truncatingIfNeeded: try call.arg(0)), imageBase = try call.arg(1)
        let controlPc = try call.arg(2), entry = try call.arg(3), contextRecord = try call.arg(4)
        let handlerDataOut = try call.arg(5), establisherOut = try call.arg(6), pointersOut = try call.arg(7)
        let dispatcher = ExceptionDispatcher(kernel: kernel)
        var context = try dispatcher.readContext(contextRecord, fallback: X64Context())
        context.rip = controlPc
        var function: X64FunctionEntry?
        if entry != 0 {
            let raw = try kernel.readBytes(entry, count: 12)
            let size = kernel.exceptionImageLookup?(controlPc)?.imageSize ?? 0x4000_0000
            function = X64FunctionEntry(imageBase: imageBase, imageSize: size, beginAddress: UInt32(X64Unwind.le(raw, 0, 4)),
                                        endAddress: UInt32(X64Unwind.le(raw, 4, 4)),
                                        unwindInfoAddress: UInt32(X64Unwind.le(raw, 8, 4)), entryAddress: entry)
        }
        let step: X64UnwindStep
        do {
            step = try X64Unwind.virtualUnwind(function: function, context: context, handlerType: handlerType,
                                               read: { try kernel.readBytes($0, count: $1) })
        } catch {
            call.note("\(error)")
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(0xC000_0028), controlPc, 0, 0], site: call.returnAddress) // STATUS_BAD_STACK
        }
        let caller = step.caller
        var bytes: [UInt8] = []
        for value in caller.gpr + [caller.rip] {
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
        }
        try kernel.writeBytes(contextRecord &+ ExceptionLayout.integerRegisters, bytes)
        if establisherOut != 0 { try kernel.writeU64(establisherOut, step.establisherFrame) }
        if pointersOut != 0 {
            for (register, at) in step.integerSavedAt {
                try kernel.writeU64(pointersOut &+ ExceptionLayout.pointersInteger &+ UInt64(8 * register), at)
            }
            for (register, at) in step.xmmSavedAt { try kernel.writeU64(pointersOut &+ UInt64(8 * register), at) }
        }
        guard let handler = step.handler else { return 0 }
        if handlerDataOut != 0 { try kernel.writeU64(handlerDataOut, imageBase &+ UInt64(handler.handlerDataRVA)) }
        return imageBase &+ UInt64(handler.handlerRVA)
    }

    /// RtlUnwind(TargetFrame, TargetIp, ExceptionRecord, ReturnValue) and RtlUnwindEx(…, ContextRecord,
    /// HistoryTable): unwinds the caller's frames up to the one whose establisher frame is
    /// TargetFrame and continues there at TargetIp with RAX = ReturnValue. On the way the
    /// termination handlers (`__finally`) of the frames being left run, innermost first
    /// (see `ExceptionDispatcher.unwind`); ExceptionRecord (or, without one, a STATUS_UNWIND
    /// record) gets EXCEPTION_UNWINDING (| EXCEPTION_TARGET_UNWIND in the target frame).
    /// An exit unwind (TargetFrame NULL) or an unknown TargetFrame is not modeled:
    /// bug check 0x1E STATUS_INVALID_UNWIND_TARGET.
    static func unwind(_ call: KernelCall, contextRecord: UInt64) throws -> UInt64 {
        cacheArguments(call)
        let kernel = call.kernel
        let targetFrame = try call.arg(0), targetIp = try call.arg(1), record = try call.arg(2), returnValue = try call.arg(3)
        var start = try kernel.currentContext()
        start.rsp = call.stackPointer &+ 8
        start.rip = call.returnAddress
        let dispatcher = ExceptionDispatcher(kernel: kernel)
        let frames = dispatcher.collectFrames(from: start)
        guard let targetIndex = frames.firstIndex(where: { $0.establisherFrame == targetFrame }) else {
            call.note("no frame with establisher 0x\(String(targetFrame, radix: 16)) among \(frames.count)")
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(statusInvalidUnwindTarget), call.returnAddress, 0, 0],
                                      site: call.returnAddress)
        }
        var target = frames[targetIndex].context
        if targetIp != 0 { target.rip = targetIp }
        target.rax = returnValue
        var exception = ExceptionInfo(code: statusUnwind, flags: 0, address: call.returnAddress)
        if record != 0, let code = try? kernel.readU32(record &+ ExceptionLayout.recordCode),
           let flags = try? kernel.readU32(record &+ ExceptionLayout.recordFlags),
           let address = try? kernel.readU64(record &+ ExceptionLayout.recordAddress) {
            exception = ExceptionInfo(code: code, flags: flags, address: address)
        }
        let pending = PendingUnwind(exception: exception, frames: frames, targetIndex: targetIndex, target: target,
                                    frameIndex: 0, scopeIndex: 0, stackTop: (call.stackPointer &- 0x100) & ~0xF,
                                    recordAddress: record, contextRecord: contextRecord)
        call.note("unwinds to \(kernel.symbolize(target.rip))")
        return try finish(call, try dispatcher.unwind(pending), exception)
    }
}
