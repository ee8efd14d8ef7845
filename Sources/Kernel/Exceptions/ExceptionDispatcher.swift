import CPU

/// x64 CONTEXT (0x4D0 bytes, 16-byte aligned), EXCEPTION_RECORD (0x98) and
/// EXCEPTION_POINTERS offsets.
enum ExceptionLayout {
    static let contextSize: UInt64 = 0x4D0
    static let contextFlags: UInt64 = 0x30, mxCsr: UInt64 = 0x34, segCs: UInt64 = 0x38, segDs: UInt64 = 0x3A
    static let segEs: UInt64 = 0x3C, segFs: UInt64 = 0x3E, segGs: UInt64 = 0x40, segSs: UInt64 = 0x42
    static let eFlags: UInt64 = 0x44
    /// Rax … R15 in x64 register order, 8 bytes each.
    static let integerRegisters: UInt64 = 0x78
    static let rip: UInt64 = 0xF8
    /// CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS | FLOATING_POINT, as RtlCaptureContext sets it.
    static let captureFlags: UInt32 = 0x0010_000F

    static let recordSize: UInt64 = 0x98
    static let recordCode: UInt64 = 0x0, recordFlags: UInt64 = 0x4, recordNested: UInt64 = 0x8
    static let recordAddress: UInt64 = 0x10, recordParameterCount: UInt64 = 0x18, recordParameters: UInt64 = 0x20

    /// KNONVOLATILE_CONTEXT_POINTERS: FloatingContext[16] then IntegerContext[16].
    static let pointersInteger: UInt64 = 0x80
}

/// The search for a handler (RtlDispatchException + __C_specific_handler) and
/// the unwind to it (RtlUnwindEx), for drivers' `__try/__except`.
///
/// Frames are unwound with `X64Unwind` from the raising context. A frame whose
/// language handler is `__C_specific_handler` (the handler RVA is a
/// `jmp [__imp___C_specific_handler]` stub, the import slot itself, or an
/// in-image handler such as `__GSHandlerCheck_SEH` that calls it) has its
/// SCOPE_TABLE walked: a scope covering the frame's RIP with a JumpTarget and
/// HandlerAddress 1 (EXCEPTION_EXECUTE_HANDLER) takes the exception; any other
/// HandlerAddress is a guest filter `LONG filter(EXCEPTION_POINTERS*, PVOID
/// EstablisherFrame)`, which is *called* (RIP = filter, return address = a
/// kernel trampoline slot that resumes the search with the filter's result).
/// The winning frame's context is restored with RAX = exception code (what
/// `RtlUnwindEx(…, ReturnValue = ExceptionCode, …)` gives the `__except` block)
/// and RIP = ImageBase + JumpTarget.
///
/// Before control reaches the `__except` block, the unwind (second pass, as
/// RtlUnwindEx does it) walks the frames again from the innermost to the target
/// frame: in each frame whose UNWIND_INFO has UNW_FLAG_UHANDLER and whose handler
/// is `__C_specific_handler`, every scope covering the frame's RIP with JumpTarget
/// 0 is a termination handler (`__finally`), called as `HandlerAddress(TRUE,
/// EstablisherFrame)` with the frame's registers (return address = a kernel
/// trampoline slot that goes on with the unwind). In the target frame the walk
/// stops at the `__except` scope being entered (JumpTarget == TargetIp) and at a
/// scope that also covers TargetIp (it encloses the target: not left). The
/// EXCEPTION_RECORD the unwind follows (the one filters saw, or RtlUnwindEx's)
/// gets ExceptionFlags = EXCEPTION_UNWINDING, plus EXCEPTION_TARGET_UNWIND for
/// the target frame, for each frame with an unwind handler, as RtlUnwindEx sets
/// them before calling the frame's language handler.
///
/// Not modeled: other language handlers (C++ `__CxxFrameHandler*`, custom
/// ones) are passed over as ExceptionContinueSearch in both passes; a nested
/// exception inside a filter or termination handler is searched only through its
/// own frames (no collided unwind).
struct ExceptionDispatcher {
    let kernel: Kernel
    static let maxFrames = 64
    static let maxScopes: UInt32 = 4096

    // MARK: Entry

    func dispatch(_ exception: ExceptionInfo, context: X64Context) throws -> ExceptionResolution {
        let state = kernel.exceptionState
        state.dispatched += 1
        guard state.dispatched <= ExceptionState.maxDispatches else { return .unhandled }
        let frames = collectFrames(from: context)
        let pending = PendingDispatch(exception: exception, raiseContext: context, frames: frames, frameIndex: 0,
                                      scopeIndex: 0, recordAddress: 0, contextAddress: 0)
        return try search(pending)
    }

    /// The frames from the raising context outwards, while they are in a known image.
    func collectFrames(from start: X64Context) -> [DispatchFrame] {
        guard let lookup = kernel.exceptionState.imageLookup else { return [] }
        var frames: [DispatchFrame] = []
        var context = start
        let read: X64Unwind.Reader = { [kernel] address, count in try kernel.readBytes(address, count: count) }
        while frames.count < Self.maxFrames, let hit = lookup(context.rip) {
            // Both handler kinds: the search wants EHANDLER frames, the unwind UHANDLER ones.
            guard let step = try? X64Unwind.virtualUnwind(function: hit.function, context: context,
                                                         handlerType: X64Unwind.flagEHandler | X64Unwind.flagUHandler,
                                                         read: read) else { break }
            frames.append(DispatchFrame(context: context, establisherFrame: step.establisherFrame,
                                        imageBase: hit.imageBase, handler: step.handler))
            guard step.caller.rsp > context.rsp else { break }
            context = step.caller
        }
        return frames
    }

    // MARK: Search

    /// Walks frames and scopes from the position in `pending`; stops at the first
    /// taker, at a filter to call, or at the end of the frames.
    func search(_ start: PendingDispatch) throws -> ExceptionResolution {
        var pending = start
        while pending.frameIndex < pending.frames.count {
            let frame = pending.frames[pending.frameIndex]
            if let handler = frame.handler, handler.flags & X64Unwind.flagEHandler != 0,
               isCSpecificHandler(frame.imageBase &+ UInt64(handler.handlerRVA)) {
                let scopes = readScopeTable(imageBase: frame.imageBase, at: frame.imageBase &+ UInt64(handler.handlerDataRVA))
                let controlRVA = frame.context.rip &- frame.imageBase
                while pending.scopeIndex < scopes.count {
                    let scope = scopes[pending.scopeIndex]
                    defer { pending.scopeIndex += 1 }
                    guard controlRVA >= UInt64(scope.begin), controlRVA < UInt64(scope.end), scope.jumpTarget != 0 else {
                        continue
                    }
                    if scope.handler == 1 {
                        return try beginUnwind(pending, scope: scope)
                    }
                    return .resume(try callFilter(frame.imageBase &+ UInt64(scope.handler), pending: pending))
                }
            }
            pending.frameIndex += 1
            pending.scopeIndex = 0
        }
        return .unhandled
    }

    /// The `__except` block's context: the frame's registers, RAX = code, RIP = JumpTarget.
    func target(frame: DispatchFrame, scope: Scope, code: UInt32) -> X64Context {
        var context = frame.context
        context.rax = UInt64(code)
        context.rip = frame.imageBase &+ UInt64(scope.jumpTarget)
        return context
    }

    /// Continues the search after the guest filter of the innermost pending exception returned `value`.
    func filterReturned(_ value: UInt64) throws -> (ExceptionResolution, ExceptionInfo?) {
        let state = kernel.exceptionState
        guard var pending = state.pending.popLast() else {
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(0xC000_0026), 0, 0, 0], site: 0) // STATUS_INVALID_DISPOSITION
        }
        let result = Int32(truncatingIfNeeded: value)
        let exception = pending.exception
        guard pending.frameIndex < pending.frames.count, let handler = pending.frames[pending.frameIndex].handler else {
            return (.unhandled, exception)
        }
        let frame = pending.frames[pending.frameIndex]
        if result > 0 {
            // EXCEPTION_EXECUTE_HANDLER
            let scopes = readScopeTable(imageBase: frame.imageBase, at: frame.imageBase &+ UInt64(handler.handlerDataRVA))
            guard pending.scopeIndex < scopes.count else { return (.unhandled, exception) }
            return (try beginUnwind(pending, scope: scopes[pending.scopeIndex]), exception)
        }
        if result < 0 {
            // EXCEPTION_CONTINUE_EXECUTION: only continuable exceptions may resume, with the
            // context record as the filter left it.
            guard pending.exception.flags & ExceptionInfo.noncontinuable == 0 else {
                throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(0xC000_0025), pending.exception.address, 0, 0],
                                          site: pending.exception.address) // STATUS_NONCONTINUABLE_EXCEPTION
            }
            return (.resume(try readContext(pending.contextAddress, fallback: pending.raiseContext)), exception)
        }
        // EXCEPTION_CONTINUE_SEARCH: the next scope, then the next frames.
        pending.scopeIndex += 1
        return (try search(pending), exception)
    }

    // MARK: Unwind

    /// The search found its `__except` (`scope` of the current frame): unwinds to it,
    /// as RtlDispatchException's RtlUnwindEx(EstablisherFrame, JumpTarget, record, code, …).
    func beginUnwind(_ pending: PendingDispatch, scope: Scope) throws -> ExceptionResolution {
        let frame = pending.frames[pending.frameIndex]
        // Termination handlers run below the raise and below the record a filter saw (it stays readable).
        let below = pending.recordAddress != 0 ? pending.recordAddress : pending.raiseContext.rsp &- 0x100
        let stackTop = (below &- 0x20) & ~0xF
        let unwind = PendingUnwind(exception: pending.exception, frames: pending.frames, targetIndex: pending.frameIndex,
                                   target: target(frame: frame, scope: scope, code: pending.exception.code),
                                   frameIndex: 0, scopeIndex: 0, stackTop: stackTop, recordAddress: pending.recordAddress,
                                   contextRecord: 0)
        return try self.unwind(unwind)
    }

    /// Walks the frames of `start` from its position up to the target frame; stops at
    /// the next termination handler to call, or resumes at the target.
    func unwind(_ start: PendingUnwind) throws -> ExceptionResolution {
        var unwind = start
        while unwind.frameIndex <= unwind.targetIndex, unwind.frameIndex < unwind.frames.count {
            let frame = unwind.frames[unwind.frameIndex]
            let isTarget = unwind.frameIndex == unwind.targetIndex
            if let handler = frame.handler, handler.flags & X64Unwind.flagUHandler != 0 {
                if unwind.recordAddress != 0, unwind.scopeIndex == 0 {
                    // RtlUnwindEx replaces the flags (EXCEPTION_NONCONTINUABLE & co. are not kept).
                    let flags = ExceptionInfo.unwinding | (isTarget ? ExceptionInfo.targetUnwind : 0)
                    try? kernel.writeU32(unwind.recordAddress &+ ExceptionLayout.recordFlags, flags)
                }
                if isCSpecificHandler(frame.imageBase &+ UInt64(handler.handlerRVA)) {
                    let scopes = readScopeTable(imageBase: frame.imageBase,
                                                at: frame.imageBase &+ UInt64(handler.handlerDataRVA))
                    if let index = nextTerminationHandler(scopes, from: unwind.scopeIndex, frame: frame,
                                                          targetIp: isTarget ? unwind.target.rip : nil) {
                        unwind.scopeIndex = index + 1
                        return .resume(try callTerminationHandler(frame.imageBase &+ UInt64(scopes[index].handler),
                                                                  unwind: unwind))
                    }
                }
            }
            unwind.frameIndex += 1
            unwind.scopeIndex = 0
        }
        if unwind.contextRecord != 0 { try? writeContext(unwind.target, at: unwind.contextRecord) }
        return .resume(unwind.target)
    }

    /// __C_specific_handler's unwind pass over one frame's scope table, from entry
    /// `from`: the index of the next termination handler to call, or nil. `targetIp`
    /// is set for the target frame (EXCEPTION_TARGET_UNWIND): the walk ends at the
    /// `__except` scope whose JumpTarget is TargetIp, or at a scope that also covers
    /// TargetIp (control stays inside it).
    func nextTerminationHandler(_ scopes: [Scope], from: Int, frame: DispatchFrame, targetIp: UInt64?) -> Int? {
        let controlRVA = frame.context.rip &- frame.imageBase
        let targetRVA = targetIp.map { $0 &- frame.imageBase }
        func covers(_ scope: Scope, _ rva: UInt64) -> Bool { rva >= UInt64(scope.begin) && rva < UInt64(scope.end) }
        var index = from
        while index < scopes.count {
            let scope = scopes[index]
            defer { index += 1 }
            guard covers(scope, controlRVA) else { continue }
            if let targetRVA {
                let enclosesTarget = scopes.contains {
                    covers($0, targetRVA) && $0.jumpTarget == scope.jumpTarget && $0.handler == scope.handler
                }
                if enclosesTarget { return nil }
                if scope.jumpTarget != 0, UInt64(scope.jumpTarget) == targetRVA { return nil }
            }
            if scope.jumpTarget == 0 { return index }
        }
        return nil
    }

    /// The context that calls `handler(TRUE, EstablisherFrame)` (AbnormalTermination
    /// = TRUE) with the frame's registers, on the stack below `unwind.stackTop`,
    /// returning to the termination-return slot (RSP ≡ 8 mod 16 at entry).
    func callTerminationHandler(_ handler: UInt64, unwind: PendingUnwind) throws -> X64Context {
        let state = kernel.exceptionState
        guard state.unwinds.count < ExceptionState.maxPending else {
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(unwind.exception.code), unwind.exception.address, 0, 0],
                                      site: unwind.exception.address)
        }
        let entryRSP = ((unwind.stackTop &- 0x40) & ~0xF) &- 8
        try kernel.writeU64(entryRSP, try terminationReturnSlot())
        state.unwinds.append(unwind)
        let frame = unwind.frames[unwind.frameIndex]
        var context = frame.context
        context.rsp = entryRSP
        context.rip = handler
        context[X64Context.rcx] = 1
        context[X64Context.rdx] = frame.establisherFrame
        return context
    }

    /// Goes on with the innermost pending unwind after its termination handler returned.
    func terminationHandlerReturned() throws -> (ExceptionResolution, ExceptionInfo?) {
        guard let unwind = kernel.exceptionState.unwinds.popLast() else {
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(0xC000_0026), 0, 0, 0], site: 0) // STATUS_INVALID_DISPOSITION
        }
        return (try self.unwind(unwind), unwind.exception)
    }

    /// The slot a guest termination handler returns to (Trampolines creates it once, by name).
    func terminationReturnSlot() throws -> UInt64 {
        try kernel.trampolines.slot(for: "hvcisim!<termination handler returned>") { call in
            try ExceptionsArea.resumeFromTerminationHandler(call)
        }
    }

    // MARK: Filters

    /// Builds EXCEPTION_RECORD, CONTEXT and EXCEPTION_POINTERS below the raising
    /// RSP and returns the context that calls `filter(&pointers, establisher)`
    /// with the filter-return slot as return address (RSP ≡ 8 mod 16 at entry).
    func callFilter(_ filter: UInt64, pending start: PendingDispatch) throws -> X64Context {
        let state = kernel.exceptionState
        guard state.pending.count < ExceptionState.maxPending else {
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(start.exception.code), start.exception.address, 0, 0],
                                      site: start.exception.address)
        }
        var pending = start
        let top = (pending.raiseContext.rsp &- 0x100) & ~0xF
        let contextAddress = top &- ExceptionLayout.contextSize
        let recordAddress = contextAddress &- 0xA0
        let pointers = recordAddress &- 0x10
        let entryRSP = ((pointers &- 0x40) & ~0xF) &- 8
        try writeRecord(pending.exception, at: recordAddress)
        try writeContext(pending.raiseContext, at: contextAddress)
        try kernel.writeU64(pointers, recordAddress)
        try kernel.writeU64(pointers &+ 8, contextAddress)
        try kernel.writeU64(entryRSP, try filterReturnSlot())
        pending.recordAddress = recordAddress
        pending.contextAddress = contextAddress
        state.pending.append(pending)

        var context = pending.frames[pending.frameIndex].context
        context.rsp = entryRSP
        context.rip = filter
        context[X64Context.rcx] = pointers
        context[X64Context.rdx] = pending.frames[pending.frameIndex].establisherFrame
        return context
    }

    /// The slot a guest exception filter returns to (Trampolines creates it once, by name).
    func filterReturnSlot() throws -> UInt64 {
        try kernel.trampolines.slot(for: "hvcisim!<exception filter returned>") { call in
            try ExceptionsArea.resumeFromFilter(call)
        }
    }

    // MARK: Handlers

    /// Whether the language handler at `address` is `__C_specific_handler`: the import
    /// slot itself, a `jmp [rip+disp]` through an IAT entry holding it, or a small
    /// in-image handler (__GSHandlerCheck_SEH) that calls or jumps to it.
    func isCSpecificHandler(_ address: UInt64) -> Bool {
        guard let slot = try? kernel.resolve(module: "ntoskrnl.exe", function: "__C_specific_handler") else { return false }
        if address == slot { return true }
        if let value = try? kernel.readU64(address), value == slot { return true }
        if jumpsTo(slot, at: address) { return true }
        // A handler that calls __C_specific_handler (directly through the IAT or via a stub).
        guard let code = try? kernel.readBytes(address, count: 0x100) else { return false }
        var i = 0
        while i + 6 <= code.count {
            if code[i] == 0xFF, code[i + 1] == 0x15 || code[i + 1] == 0x25,
               let target = ripRelativePointer(code, i, address), target == slot {
                return true
            }
            if code[i] == 0xE8 || code[i] == 0xE9, i + 5 <= code.count {
                let displacement = UInt64(bitPattern: Int64(Int32(bitPattern: UInt32(X64Unwind.le(code, i + 1, 4)))))
                let callee = address &+ UInt64(i + 5) &+ displacement
                if callee != address, jumpsTo(slot, at: callee) { return true }
            }
            i += 1
        }
        return false
    }

    /// Whether the code at `address` is `jmp [rip+disp32]` (optionally REX.W) through a pointer to `slot`.
    private func jumpsTo(_ slot: UInt64, at address: UInt64) -> Bool {
        guard let code = try? kernel.readBytes(address, count: 7) else { return false }
        let start = code[0] == 0x48 ? 1 : 0
        guard code[start] == 0xFF, code[start + 1] == 0x25 else { return false }
        return ripRelativePointer(code, start, address) == slot
    }

    /// The 64-bit value a `FF /r [rip+disp32]` at `code[i]` reads.
    private func ripRelativePointer(_ code: [UInt8], _ i: Int, _ base: UInt64) -> UInt64? {
        let displacement = UInt64(bitPattern: Int64(Int32(bitPattern: UInt32(X64Unwind.le(code, i + 2, 4)))))
        let pointer = base &+ UInt64(i + 6) &+ displacement
        return try? kernel.readU64(pointer)
    }

    // MARK: Scope tables

    struct Scope: Equatable {
        var begin: UInt32
        var end: UInt32
        var handler: UInt32
        var jumpTarget: UInt32
    }

    /// SCOPE_TABLE: ULONG Count; then Count × {BeginAddress, EndAddress, HandlerAddress, JumpTarget} (RVAs).
    func readScopeTable(imageBase: UInt64, at address: UInt64) -> [Scope] {
        guard let count = try? kernel.readU32(address) else { return [] }
        let n = min(count, Self.maxScopes)
        guard n > 0, let bytes = try? kernel.readBytes(address &+ 4, count: Int(n) * 16) else { return [] }
        return (0..<Int(n)).map { i in
            Scope(begin: UInt32(X64Unwind.le(bytes, 16 * i, 4)), end: UInt32(X64Unwind.le(bytes, 16 * i + 4, 4)),
                  handler: UInt32(X64Unwind.le(bytes, 16 * i + 8, 4)), jumpTarget: UInt32(X64Unwind.le(bytes, 16 * i + 12, 4)))
        }
    }

    // MARK: Guest structures

    func writeRecord(_ exception: ExceptionInfo, at address: UInt64) throws {
        var bytes = [UInt8](repeating: 0, count: Int(ExceptionLayout.recordSize))
        func put(_ value: UInt64, _ offset: UInt64, _ size: Int) {
            for i in 0..<size { bytes[Int(offset) + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        put(UInt64(exception.code), ExceptionLayout.recordCode, 4)
        put(UInt64(exception.flags), ExceptionLayout.recordFlags, 4)
        put(exception.address, ExceptionLayout.recordAddress, 8)
        put(UInt64(exception.parameters.count), ExceptionLayout.recordParameterCount, 4)
        for (i, value) in exception.parameters.enumerated() {
            put(value, ExceptionLayout.recordParameters + UInt64(8 * i), 8)
        }
        try kernel.writeBytes(address, bytes)
    }

    func writeContext(_ context: X64Context, at address: UInt64) throws {
        var bytes = [UInt8](repeating: 0, count: Int(ExceptionLayout.contextSize))
        func put(_ value: UInt64, _ offset: UInt64, _ size: Int) {
            for i in 0..<size { bytes[Int(offset) + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        put(UInt64(ExceptionLayout.captureFlags), ExceptionLayout.contextFlags, 4)
        put(0x1F80, ExceptionLayout.mxCsr, 4)
        put(0x10, ExceptionLayout.segCs, 2)
        put(0x2B, ExceptionLayout.segDs, 2)
        put(0x2B, ExceptionLayout.segEs, 2)
        put(0x53, ExceptionLayout.segFs, 2)
        put(0x2B, ExceptionLayout.segGs, 2)
        put(0x18, ExceptionLayout.segSs, 2)
        put((try? kernel.engine.read(.rflags)) ?? 0x202, ExceptionLayout.eFlags, 4)
        for index in 0..<16 { put(context[index], ExceptionLayout.integerRegisters + UInt64(8 * index), 8) }
        put(context.rip, ExceptionLayout.rip, 8)
        try kernel.writeBytes(address, bytes)
    }

    func readContext(_ address: UInt64, fallback: X64Context) throws -> X64Context {
        guard address != 0 else { return fallback }
        let bytes = try kernel.readBytes(address &+ ExceptionLayout.integerRegisters, count: 0x88)
        return X64Context(gpr: (0..<16).map { X64Unwind.le(bytes, 8 * $0, 8) }, rip: X64Unwind.le(bytes, 0x80, 8))
    }
}
