import CPU

/// Waits that queued work could satisfy.
///
/// On Windows a system thread (PsCreateSystemThread), a work item and a DPC
/// run on their own while the creator goes on: a DriverEntry that creates a
/// thread and then waits (without a timeout) for the thread, or for an event
/// the thread sets, is satisfied as soon as the scheduler switches to the
/// thread. The model has one thread of execution, so when an infinite wait
/// would block, the wait handler first runs a routine queued so far (as a
/// guest call, with its thread as the current thread and its IRQL), then
/// /// checks the wait again, one routine at a time. Only when nothing is left to
/// run and the wait still cannot be satisfied does it end the entry point
/// with `KernelStop.unsatisfiableWait`.
///
/// Each routine run this way gets a stack of its own, so it can block: when
/// it waits for something not yet signalled and a waiter further out is
/// satisfied, its registers and wait are set aside and that waiter goes on
/// (Windows would switch threads there); a later wait that would block
/// continues a set-aside routine whose wait is satisfied by then. A thread
/// that ends with PsTerminateSystemThread returns to the waiter, as if its
/// start routine had returned. A thread that loops without ever blocking keeps
/// the CPU until a run limit ends the entry point.
extension SynchronizationArea {
    /// Routines run per wait before it gives up (each may queue more).
    static let maxDeferredRuns = 16

    /// Kinds of queued routines that would run on Windows while the caller waits. Timer DPCs
    /// are not among them: they run when the clock reaches their due time.
    static let runnableWhileWaiting: Set<String> = ["SystemThread", "WorkItem", "DPC"]

    /// Runs `wait`; if it would block forever, lets the scheduler run something else first and
    /// tries again: an outer waiter that the running routines have satisfied resumes (the current
    /// routine is set aside, blocked), else a set-aside routine whose wait is satisfied now
    /// continues, else a queued routine runs (a thread among `objects` — the wait is for its end —
    /// before the oldest one, one at a time, so a worker that never ends is only entered when
    /// nothing else could help).
    /// The value for RAX (or the guest call in flight).
    /// Any wait that cannot be satisfied at once — infinite, or with a timeout (`timeout`, a
    /// PLARGE_INTEGER) that is not zero — lets the others run first, before the model's clock is
    /// advanced for it (a timer's due time, the timeout): on Windows they run while time passes.
    static func waitRunningDeferred(_ call: KernelCall, objects: [UInt64] = [], waitAll: Bool = false, timeout: UInt64 = 0,
                                    _ wait: @escaping () throws -> UInt64) throws -> UInt64 {
        let kernel = call.kernel
        let timed = timeout == 0 || (try? kernel.readU64(timeout)) ?? 0 != 0
        // How long the waiter lets time pass for a blocked routine's timer (nil: forever).
        let limit = timeout == 0 ? nil : try? deadline(call, timeoutPointer: timeout)
        let value = try kernel.runGuestStep(call, try waitStep(call, runs: 0, objects: objects, waitAll: waitAll,
                                                               timed: timed, limit: limit, wait))
        if let redirect = kernel.guestCallbacks.redirect {
            kernel.guestCallbacks.redirect = nil
            try kernel.engine.write(.rsp, redirect)
        }
        return value
    }

    /// The objects behind `handles` (for `waitRunningDeferred`'s preference).
    static func objects(_ kernel: Kernel, handles: [UInt64]) -> [UInt64] {
        handles.compactMap { kernel.handles.lookup($0)?.object }.filter { $0 != 0 }
    }

    /// The objects of KeWaitForMultipleObjects(Count, Object[], …) (at most 64).
    static func waitedObjects(_ call: KernelCall) throws -> [UInt64] {
        let count = min(try call.arg32(0), 64), array = try call.arg(1)
        return try (0..<UInt64(count)).map { try call.kernel.readU64(array &+ $0 * 8) }
    }

    /// Windows x64 callee-saved general registers: what a thread switch must keep per thread.
    static let calleeSaved: [Register] = [.rbx, .rbp, .rsi, .rdi, .r12, .r13, .r14, .r15]

    static func saveRegisters(_ kernel: Kernel) -> [UInt64] {
        calleeSaved.map { (try? kernel.engine.read($0)) ?? 0 }
    }

    static func restoreRegisters(_ kernel: Kernel, _ values: [UInt64]) {
        for (register, value) in zip(calleeSaved, values) { try? kernel.engine.write(register, value) }
    }

    /// A wait that is running a routine (queued, or a blocked one it resumed) until the routine
    /// returns or blocks.
    final class WaitFrame {
        let routine: DeferredRoutine
        /// The routine's thread (0 for work items and DPCs).
        let thread: UInt64
        /// RSP of the wait call (the guest-call machinery's key for it) and the waiter's registers.
        let entry: UInt64
        let registers: [UInt64]
        let irql: UInt8
        let objects: [UInt64]
        let waitAll: Bool
        let wait: () throws -> UInt64
        /// Where the routine returns to the continuation (0 when it runs on the waiter's stack,
        /// which the waiter reuses: such a routine cannot be resumed once it blocked).
        var resumeStack: UInt64 = 0
        var stackTop: UInt64 = 0
        /// The routine blocked and the waiter resumed without it.
        var abandoned = false
        /// The routine went over a virtual-time budget and was ended (VirtualTime.swift).
        var parked = false
        /// What the routine has used of its budgets (kept while it is blocked).
        let watch: RoutineWatch

        init(routine: DeferredRoutine, thread: UInt64, entry: UInt64, registers: [UInt64], irql: UInt8,
             objects: [UInt64], waitAll: Bool, watch: RoutineWatch = RoutineWatch(timed: true),
             wait: @escaping () throws -> UInt64) {
            self.routine = routine
            self.watch = watch
            self.thread = thread
            self.entry = entry
            self.registers = registers
            self.irql = irql
            self.objects = objects
            self.waitAll = waitAll
            self.wait = wait
        }
    }

    /// A routine stopped in a wait of its own, to be continued when that wait can be satisfied.
    struct BlockedRoutine {
        var routine: DeferredRoutine
        var thread: UInt64
        /// RSP at its wait call (pointing at the return address into its code) and its registers.
        var stackPointer: UInt64
        var registers: [UInt64]
        var irql: UInt8
        var objects: [UInt64]
        var waitAll: Bool
        var wait: () throws -> UInt64
        var resumeStack: UInt64
        var stackTop: UInt64
        var watch: RoutineWatch
    }

    final class Scheduler {
        var frames: [WaitFrame] = []
        var blocked: [BlockedRoutine] = []
        /// Stacks for routines run inside waits, free ones for reuse.
        var freeStacks: [UInt64] = []
        var stackCount = 0
        static let maxStacks = 32, maxBlocked = 64, stackPages = 8
    }

    static func scheduler(_ kernel: Kernel) -> Scheduler { kernel.state(Scheduler.self) { Scheduler() } }

    /// Forgets routines that were running inside a wait when the last entry point was stopped
    /// (a fault or limit inside them): no continuation will come back for them. Blocked routines
    /// stay, to be resumed by a later entry point's wait.
    static func abandonRunningFrames(_ kernel: Kernel) {
        let scheduler = scheduler(kernel)
        guard !scheduler.frames.isEmpty else { return }
        let state = DeferredArea.deferredState(kernel)
        let threads = Set(scheduler.frames.map(\.thread).filter { $0 != 0 })
        state.running.removeAll { threads.contains($0) }
        state.nestedDepth = 0
        scheduler.frames = []
        try? kernel.writeU64(kernel.processor.kpcr &+ UInt64(Layout.KPCR.currentThread), state.running.last ?? kernel.processor.thread)
    }

    /// When time passing alone would satisfy a wait on `objects` (set timers), nil if it never would.
    static func dueTime(_ kernel: Kernel, objects: [UInt64], waitAll: Bool) -> UInt64? {
        guard !objects.isEmpty else { return nil }
        var dues: [UInt64] = []
        for object in objects {
            switch (try? readiness(kernel, object)) ?? .never("") {
            case .now: dues.append(kernel.processor.systemTime)
            case .at(let due): dues.append(due)
            case .never: if waitAll { return nil }
            }
        }
        return waitAll ? dues.max() : dues.min()
    }

    /// Whether a wait on `objects` could be satisfied now (no side effects).
    static func isReady(_ kernel: Kernel, objects: [UInt64], waitAll: Bool) -> Bool {
        guard !objects.isEmpty else { return false }
        let states = objects.map { (try? readiness(kernel, $0)) ?? .never("") }
        return waitAll ? states.allSatisfy { $0 == .now } : states.contains(.now)
    }

    private static func waitStep(_ call: KernelCall, runs: Int, objects: [UInt64], waitAll: Bool, timed: Bool,
                                 limit: UInt64?, _ wait: @escaping () throws -> UInt64) throws -> GuestStep {
        if timed, !objects.isEmpty, !isReady(call.kernel, objects: objects, waitAll: waitAll),
           let step = try schedule(call, runs: runs, objects: objects, waitAll: waitAll, timed: timed, limit: limit, wait) {
            return step
        }
        do {
            return .finish(try wait())
        } catch KernelStop.unsatisfiableWait(let what) {
            if let step = try schedule(call, runs: runs, objects: objects, waitAll: waitAll, timed: timed,
                                       limit: limit, wait) { return step }
            throw KernelStop.unsatisfiableWait(what)
        }
    }

    /// What runs instead of the blocked caller: a satisfied outer waiter, a set-aside routine whose
    /// wait is satisfied, or a queued routine. Nil when there is nothing.
    private static func schedule(_ call: KernelCall, runs: Int, objects: [UInt64], waitAll: Bool, timed: Bool,
                                 limit: UInt64?, _ wait: @escaping () throws -> UInt64) throws -> GuestStep? {
        let kernel = call.kernel
        if try resumeReadyWaiter(call, objects: objects, waitAll: waitAll, wait) { return .finish(0) }
        guard runs < maxDeferredRuns else { return nil }
        let retry = { try waitStep(call, runs: runs + 1, objects: objects, waitAll: waitAll, timed: timed, limit: limit, wait) }
        if let step = try resumeBlocked(call, objects: objects, waitAll: waitAll, wait, then: retry) { return step }
        guard let index = nextRoutine(kernel, preferring: objects) else {
            // Nothing runnable now: time passes while the caller waits, so a routine blocked on a
            // set timer (a worker's periodic KeWaitForSingleObject on a timer) wakes when it is due.
            return try resumeBlocked(call, objects: objects, waitAll: waitAll, wait, byTimeUntil: .some(limit), then: retry)
        }
        let routine = kernel.deferredRoutines.remove(at: index)
        call.note("would block: runs queued \(routine.kind) \(kernel.symbolize(routine.routine)) first, as Windows' scheduler would")
        let frame = WaitFrame(routine: routine, thread: 0, entry: call.stackPointer, registers: saveRegisters(kernel),
                              irql: currentIrql(kernel), objects: objects, waitAll: waitAll, wait: wait)
        return try run(call, frame, then: retry)
    }

    /// The current routine blocks: if a waiter further out is satisfied now, the routines between
    /// (this one included) are set aside as blocked and that waiter goes on. True when it was
    /// arranged (the handler's `ret` then goes to the waiter's continuation).
    static func resumeReadyWaiter(_ call: KernelCall, objects: [UInt64], waitAll: Bool,
                                  _ wait: @escaping () throws -> UInt64) throws -> Bool {
        let kernel = call.kernel, scheduler = scheduler(kernel)
        guard let index = scheduler.frames.lastIndex(where: { isReady(kernel, objects: $0.objects, waitAll: $0.waitAll) }),
              scheduler.frames[index].resumeStack != 0 else { return false }
        let frames = scheduler.frames
        // Each routine from frame `index` inward is stopped in a wait: the current one in this call,
        // the others in the wait that ran the next routine.
        for position in index..<frames.count {
            let frame = frames[position], inner = position + 1 < frames.count ? frames[position + 1] : nil
            guard frame.resumeStack != 0, scheduler.blocked.count < Scheduler.maxBlocked else { continue }
            scheduler.blocked.append(BlockedRoutine(
                routine: frame.routine, thread: frame.thread,
                stackPointer: inner?.entry ?? call.stackPointer, registers: inner?.registers ?? saveRegisters(kernel),
                irql: inner?.irql ?? currentIrql(kernel), objects: inner?.objects ?? objects,
                waitAll: inner?.waitAll ?? waitAll, wait: inner?.wait ?? wait,
                resumeStack: frame.resumeStack, stackTop: frame.stackTop, watch: frame.watch))
        }
        for frame in frames[(index + 1)...].reversed() { suspend(kernel, frame) }
        scheduler.frames.removeSubrange((index + 1)...)
        let target = frames[index]
        target.abandoned = true
        call.note("blocks: the scheduler switches back to the waiter it satisfied")
        restoreRegisters(kernel, target.registers)
        kernel.guestCallbacks.redirect = target.resumeStack &- 8
        return true
    }

    /// A blocked routine whose wait can now be satisfied continues (its wait returns), with the
    /// current waiter waiting for it as for a routine it ran. Nil when none can.
    /// With `byTimeUntil` (the waiter's deadline, nil = none) a routine whose wait only time can
    /// satisfy (a set timer due by then) continues too, the earliest due first; its own wait
    /// advances the clock to the due time.
    static func resumeBlocked(_ call: KernelCall, objects: [UInt64], waitAll: Bool, _ wait: @escaping () throws -> UInt64,
                              byTimeUntil: UInt64?? = .none, then: @escaping () throws -> GuestStep) throws -> GuestStep? {
        let kernel = call.kernel, scheduler = scheduler(kernel)
        var found = scheduler.blocked.firstIndex(where: { isReady(kernel, objects: $0.objects, waitAll: $0.waitAll) })
        if found == nil, case .some(let limit) = byTimeUntil {
            let dues = scheduler.blocked.indices.compactMap { index -> (Int, UInt64)? in
                let blocked = scheduler.blocked[index]
                guard let due = dueTime(kernel, objects: blocked.objects, waitAll: blocked.waitAll),
                      limit.map({ due <= $0 }) ?? true else { return nil }
                return (index, due)
            }
            found = dues.min { $0.1 < $1.1 }?.0
        }
        guard let index = found else { return nil }
        let blocked = scheduler.blocked.remove(at: index)
        let frame = WaitFrame(routine: blocked.routine, thread: blocked.thread, entry: call.stackPointer,
                              registers: saveRegisters(kernel), irql: currentIrql(kernel),
                              objects: objects, waitAll: waitAll, watch: blocked.watch, wait: wait)
        frame.resumeStack = blocked.resumeStack
        frame.stackTop = blocked.stackTop
        // The blocked routine's wait is satisfied now (it consumes what it takes from the objects).
        let status: UInt64
        do { status = try blocked.wait() } catch KernelStop.unsatisfiableWait { return nil }
        call.note("would block: \(blocked.routine.kind) \(kernel.symbolize(blocked.routine.routine)) continues, its wait satisfied")
        let state = DeferredArea.deferredState(kernel)
        state.nestedDepth += 1
        if blocked.thread != 0 {
            state.running.append(blocked.thread)
            try? kernel.writeU64(kernel.processor.kpcr &+ UInt64(Layout.KPCR.currentThread), blocked.thread)
        }
        setIrql(kernel, blocked.irql)
        scheduler.frames.append(frame)
        kernel.guestCallbacks.adopted.append(.init(entry: call.stackPointer, resumeStack: blocked.resumeStack,
                                                   routine: blocked.routine.routine, then: continuation(kernel, frame, then: then)))
        restoreRegisters(kernel, blocked.registers)
        kernel.guestCallbacks.redirect = blocked.stackPointer
        return .finish(status)
    }

    /// Leaves a routine that blocked: its thread stays alive (not signalled), the previous thread is current again.
    static func suspend(_ kernel: Kernel, _ frame: WaitFrame) {
        let state = DeferredArea.deferredState(kernel)
        state.nestedDepth -= 1
        if frame.thread != 0, state.running.popLast() != nil {
            try? kernel.writeU64(kernel.processor.kpcr &+ UInt64(Layout.KPCR.currentThread), state.running.last ?? kernel.processor.thread)
        }
        state.inDpc = false
        setIrql(kernel, frame.irql)
    }

    /// The queue index of the routine to run next: the start of a waited-for thread, else the oldest runnable one.
    static func nextRoutine(_ kernel: Kernel, preferring objects: [UInt64]) -> Int? {
        let threads = DeferredArea.deferredState(kernel).threads
        for object in objects {
            guard let thread = threads[object], !thread.started else { continue }
            if let index = kernel.deferredRoutines.firstIndex(where: {
                $0.kind == "SystemThread" && $0.routine == thread.routine && $0.arguments.first == thread.context
            }) { return index }
        }
        return kernel.deferredRoutines.firstIndex { runnableWhileWaiting.contains($0.kind) }
    }

    /// A stack of its own for a routine run inside a wait (nil when the cap is reached).
    static func takeStack(_ kernel: Kernel) -> UInt64? {
        let scheduler = scheduler(kernel)
        if let top = scheduler.freeStacks.popLast() { return top }
        guard scheduler.stackCount < Scheduler.maxStacks,
              let stack = try? kernel.memory.allocate(pages: Scheduler.stackPages, owner: .stack) else { return nil }
        scheduler.stackCount += 1
        return stack.end
    }

    /// Calls the frame's routine, entered as a deferred routine (its thread current, its IRQL),
    /// on a stack of its own; when it returns (or blocks and the waiter resumes), `then`.
    private static func run(_ call: KernelCall, _ frame: WaitFrame, then: @escaping () throws -> GuestStep) throws -> GuestStep {
        let kernel = call.kernel
        kernel.enterDeferredRoutine(frame.routine)
        let state = DeferredArea.deferredState(kernel)
        let thread = frame.routine.kind == "SystemThread" ? (state.running.last ?? 0) : 0
        let frame = WaitFrame(routine: frame.routine, thread: thread, entry: frame.entry, registers: frame.registers,
                              irql: frame.irql, objects: frame.objects, waitAll: frame.waitAll, wait: frame.wait)
        state.nestedDepth += 1
        scheduler(kernel).frames.append(frame)
        let continuation = continuation(kernel, frame, then: then)
        guard let top = takeStack(kernel) else { return .call(frame.routine.routine, frame.routine.arguments, then: continuation) }
        frame.stackTop = top
        frame.resumeStack = GuestCallbacks.frame(below: top, argumentCount: frame.routine.arguments.count) &+ 8
        return .callOnStack(frame.routine.routine, frame.routine.arguments, stackTop: top, then: continuation)
    }

    /// What runs when the frame's routine comes back to the waiter (returned, or abandoned when it blocked).
    static func continuation(_ kernel: Kernel, _ frame: WaitFrame, then: @escaping () throws -> GuestStep) -> (UInt64) throws -> GuestStep {
        { _ in
            let scheduler = scheduler(kernel)
            if let index = scheduler.frames.lastIndex(where: { $0 === frame }) { scheduler.frames.removeSubrange(index...) }
            if frame.abandoned {
                suspend(kernel, frame)
            } else if frame.parked {
                // Ended where it was, its thread still running (never signalled): the waiter goes on.
                suspend(kernel, frame)
                restoreRegisters(kernel, frame.registers)
                if frame.stackTop != 0, scheduler.freeStacks.count < Scheduler.maxStacks { scheduler.freeStacks.append(frame.stackTop) }
            } else {
                DeferredArea.deferredState(kernel).nestedDepth -= 1
                // Back to the waiter on its own thread: its callee-saved registers are the ones it
                // had at its wait. (A routine run from its start restores them itself by the ABI;
                // a blocked one resumed here returns with those of the waiter it first ran under.)
                restoreRegisters(kernel, frame.registers)
                kernel.leaveDeferredRoutine(frame.routine)
                setIrql(kernel, frame.irql)
                if frame.stackTop != 0, scheduler.freeStacks.count < Scheduler.maxStacks { scheduler.freeStacks.append(frame.stackTop) }
            }
            return try then()
        }
    }
}
