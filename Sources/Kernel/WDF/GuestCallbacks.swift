import CPU

/// What a framework handler does next: return to the driver, or first call
/// one of the driver's callbacks and decide again with its return value.
indirect enum GuestStep {
    /// Return `value` (RAX) to whoever called the framework function.
    case finish(UInt64)
    /// Call the driver routine at `routine` with `arguments` (x64 convention);
    /// when it returns, `then` gets its RAX and says what comes next.
    case call(UInt64, [UInt64], then: (UInt64) throws -> GuestStep)
    /// The same on another stack (a system thread's own), its frame below `stackTop`.
    case callOnStack(UInt64, [UInt64], stackTop: UInt64, then: (UInt64) throws -> GuestStep)
}

/// Calls from the kernel model into the driver (EvtIoDeviceControl from the
/// IRP dispatch, EvtCleanupCallback from WdfObjectDelete, IoCreateDriver's init
/// routine, a system thread run inside a wait, …) without nesting emulation:
/// the handler points RIP at the callback with a fresh frame below the caller's
/// stack pointer (or on a stack of its own), whose return address is the continuation slot;
/// when the callback returns there, the continuation runs the next step and
/// finally `ret`s to the original caller with the result in RAX.
final class GuestCallbacks {
    struct Pending {
        /// RSP when the framework function was entered (points at its return address).
        var entry: UInt64
        /// RSP the callback must come back with (its frame + 8).
        var resumeStack: UInt64
        var routine: UInt64
        var then: (UInt64) throws -> GuestStep
    }

    /// Callbacks in flight at once (a recursion cap; deeper calls are skipped).
    static let maxDepth = 32
    var pending: [Pending] = []
    var continuationSlot: UInt64 = 0
    /// Set by a handler that abandons callbacks in flight (a blocked thread the scheduler leaves):
    /// the stack pointer to return with instead of the finished callback's caller's.
    var redirect: UInt64?
    /// Callbacks a handler resumes (a blocked thread continuing), added once the current step is set up.
    var adopted: [Pending] = []

    /// The frame (return-address slot) of a callback with `argumentCount` arguments entered below
    /// `top`: 0x80 bytes of headroom, room for the arguments, RSP ≡ 8 (mod 16) at entry.
    static func frame(below top: UInt64, argumentCount: Int) -> UInt64 {
        let stackArguments = UInt64(max(0, min(argumentCount, 16) - 4))
        return ((top &- 0x80 &- stackArguments &* 8 &- 0x20) & ~0xF) &- 8
    }
}

extension Kernel {
    var guestCallbacks: GuestCallbacks { state(GuestCallbacks.self) { GuestCallbacks() } }

    /// Runs `step` for the framework function `call` (see `GuestStep`); the value to return from the handler.
    func runGuestStep(_ call: KernelCall, _ step: GuestStep) throws -> UInt64 {
        try advance(entry: call.stackPointer, step) ?? 0
    }

    /// The finished value, or nil when a callback was entered (RIP now points at it).
    private func advance(entry: UInt64, _ first: GuestStep) throws -> UInt64? {
        let callbacks = guestCallbacks
        // Frames at or below this one belong to calls that never came back (a fault ended them).
        // (Only on the same stack: threads run inside waits have stacks of their own.)
        let stack = memory.allocation(containing: entry)?.base
        callbacks.pending.removeAll { $0.entry <= entry && memory.allocation(containing: $0.entry)?.base == stack }
        callbacks.pending += callbacks.adopted
        callbacks.adopted = []
        var step = first
        var skipped = 0
        while true {
            switch step {
            case .finish(let value):
                return value
            case let .call(routine, arguments, then):
                guard routine != 0, callbacks.pending.count < GuestCallbacks.maxDepth, skipped < 64 else {
                    skipped += 1
                    step = try then(0)
                    continue
                }
                try enterGuest(routine: routine, arguments: arguments, entry: entry, stackTop: entry, then: then)
                return nil
            case let .callOnStack(routine, arguments, stackTop, then):
                guard routine != 0, callbacks.pending.count < GuestCallbacks.maxDepth, skipped < 64 else {
                    skipped += 1
                    step = try then(0)
                    continue
                }
                try enterGuest(routine: routine, arguments: arguments, entry: entry, stackTop: stackTop, then: then)
                return nil
            }
        }
    }

    /// Points the CPU at `routine` with a frame below `entry` whose return address is the continuation slot.
    private func enterGuest(routine: UInt64, arguments: [UInt64], entry: UInt64, stackTop: UInt64,
                            then: @escaping (UInt64) throws -> GuestStep) throws {
        let callbacks = guestCallbacks
        if callbacks.continuationSlot == 0 {
            callbacks.continuationSlot = try trampolines.slot(for: "ntoskrnl.exe!<callback return>") { call in
                try call.kernel.resumeAfterGuestCallback(call)
            }
        }
        let arguments = Array(arguments.prefix(16))
        let frame = GuestCallbacks.frame(below: stackTop, argumentCount: arguments.count)
        try writeU64(frame, callbacks.continuationSlot)
        for (index, value) in arguments.enumerated() {
            if index < 4 {
                try engine.write(Register.windowsArguments[index], value)
            } else {
                try writeU64(frame &+ 0x28 &+ UInt64(index - 4) * 8, value)
            }
        }
        callbacks.pending.append(.init(entry: entry, resumeStack: frame &+ 8, routine: routine, then: then))
        try engine.write(.rsp, frame)
        try engine.write(.rip, routine)
    }

    /// The continuation slot's handler: the callback returned.
    private func resumeAfterGuestCallback(_ call: KernelCall) throws -> UInt64 {
        let callbacks = guestCallbacks
        let rsp = try engine.read(.rsp)
        guard let index = callbacks.pending.lastIndex(where: { $0.resumeStack == rsp }) else {
            call.note("return into the framework with no callback in flight")
            throw KernelStop.bugCheck(code: 0x1E, parameters: [0xC000_0005, call.returnAddress, 0, 0], site: call.returnAddress)
        }
        let pending = callbacks.pending[index]
        callbacks.pending.removeSubrange(index...)
        let rax = try engine.read(.rax)
        call.note("callback 0x\(String(pending.routine, radix: 16)) returned 0x\(String(rax, radix: 16))")
        guard let value = try advance(entry: pending.entry, pending.then(rax)) else { return 0 }
        if let redirect = callbacks.redirect {
            callbacks.redirect = nil
            try engine.write(.rsp, redirect)
            return value
        }
        // Finished: this slot's `ret` pops the original return address at `entry`.
        try engine.write(.rsp, pending.entry)
        return value
    }
}
