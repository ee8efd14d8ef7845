/// Waits that queued work could satisfy.
///
/// On Windows a system thread (PsCreateSystemThread), a work item and a DPC
/// run on their own while the creator goes on: a DriverEntry that creates a
/// thread and then waits (without a timeout) for the thread, or for an event
/// the thread sets, is satisfied as soon as the scheduler switches to the
/// thread. The model has one thread of execution, so when an infinite wait
/// would block, the wait handler first runs a routine queued so far (as a
/// guest call, with its thread as the current thread and its IRQL), then
/// checks the wait again, one routine at a time. Only when nothing queued is left and
/// the wait still cannot be satisfied does it end the entry point with
/// `KernelStop.unsatisfiableWait`.
///
/// A thread that ends with PsTerminateSystemThread returns to the waiter, as
/// if its start routine had returned. A worker thread that blocks in a wait of
/// its own after satisfying the waiter is left there (Windows would switch
/// back to the waiter; the model does not come back to the worker). A thread
/// that loops without blocking keeps the CPU until a run limit ends the
/// entry point.
extension SynchronizationArea {
    /// Routines run per wait before it gives up (each may queue more).
    static let maxDeferredRuns = 16

    /// Kinds of queued routines that would run on Windows while the caller waits. Timer DPCs
    /// are not among them: they run when the clock reaches their due time.
    static let runnableWhileWaiting: Set<String> = ["SystemThread", "WorkItem", "DPC"]

    /// Runs `wait`; if it would block forever, lets the scheduler run something else first and
    /// tries again: an outer waiter that the running routines have satisfied resumes (the blocked
    /// routines stay blocked — the model does not come back to them), otherwise a queued routine
    /// runs (a thread among `objects` — the wait is for its end — before the oldest one, one at a
    /// time, so a worker that never ends is only entered when nothing else could help).
    /// The value for RAX (or the guest call in flight).
    static func waitRunningDeferred(_ call: KernelCall, objects: [UInt64] = [], waitAll: Bool = false,
                                    _ wait: @escaping () throws -> UInt64) throws -> UInt64 {
        let kernel = call.kernel
        let value = try kernel.runGuestStep(call, try waitStep(call, runs: 0, objects: objects, waitAll: waitAll, wait))
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

    /// A wait that is running a queued routine until the routine returns or blocks.
    final class WaitFrame {
        let routine: DeferredRoutine
        /// RSP of the wait call (the guest-call machinery's key for it).
        let entry: UInt64
        let irql: UInt8
        let objects: [UInt64]
        let waitAll: Bool
        /// The routine blocked and the waiter resumed without it.
        var abandoned = false

        init(routine: DeferredRoutine, entry: UInt64, irql: UInt8, objects: [UInt64], waitAll: Bool) {
            self.routine = routine
            self.entry = entry
            self.irql = irql
            self.objects = objects
            self.waitAll = waitAll
        }
    }

    final class WaitFrames {
        var frames: [WaitFrame] = []
    }

    static func waitFrames(_ kernel: Kernel) -> WaitFrames { kernel.state(WaitFrames.self) { WaitFrames() } }

    /// Whether a frame's wait could be satisfied now (no side effects).
    static func isReady(_ kernel: Kernel, _ frame: WaitFrame) -> Bool {
        guard !frame.objects.isEmpty else { return false }
        let states = frame.objects.map { (try? readiness(kernel, $0)) ?? .never("") }
        return frame.waitAll ? states.allSatisfy { $0 == .now } : states.contains(.now)
    }

    private static func waitStep(_ call: KernelCall, runs: Int, objects: [UInt64], waitAll: Bool,
                                 _ wait: @escaping () throws -> UInt64) throws -> GuestStep {
        let kernel = call.kernel
        do {
            return .finish(try wait())
        } catch KernelStop.unsatisfiableWait(let what) {
            if try resumeReadyWaiter(call) { return .finish(0) }
            guard runs < maxDeferredRuns, let index = nextRoutine(kernel, preferring: objects) else {
                throw KernelStop.unsatisfiableWait(what)
            }
            let routine = kernel.deferredRoutines.remove(at: index)
            call.note("would block: runs queued \(routine.kind) \(kernel.symbolize(routine.routine)) first, as Windows' scheduler would")
            let frame = WaitFrame(routine: routine, entry: call.stackPointer, irql: currentIrql(kernel),
                                  objects: objects, waitAll: waitAll)
            return run(call, frame) { try waitStep(call, runs: runs + 1, objects: objects, waitAll: waitAll, wait) }
        }
    }

    /// The current routine blocks: if a waiter further out is satisfied now, the routines between
    /// (this one included) stay blocked and that waiter goes on. True when it was arranged (the
    /// handler's `ret` then goes to the waiter's continuation).
    static func resumeReadyWaiter(_ call: KernelCall) throws -> Bool {
        let kernel = call.kernel, stack = waitFrames(kernel)
        guard let index = stack.frames.lastIndex(where: { isReady(kernel, $0) }),
              let pending = kernel.guestCallbacks.pending.last(where: { $0.entry == stack.frames[index].entry }) else { return false }
        // Inner frames: their continuations never run; undo what entering them did.
        for frame in stack.frames[(index + 1)...].reversed() {
            suspend(kernel, frame)
        }
        stack.frames.removeSubrange((index + 1)...)
        stack.frames[index].abandoned = true
        call.note("blocks: the scheduler switches back to the waiter it satisfied; this routine does not run further")
        kernel.guestCallbacks.redirect = pending.resumeStack &- 8
        return true
    }

    /// Leaves a routine that blocked: its thread stays alive (not signalled), the previous thread is current again.
    static func suspend(_ kernel: Kernel, _ frame: WaitFrame) {
        let state = DeferredArea.deferredState(kernel)
        state.nestedDepth -= 1
        if frame.routine.kind == "SystemThread", state.running.popLast() != nil {
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

    /// Calls the frame's routine, entered as a deferred routine (its thread current, its IRQL);
    /// when it returns (or blocks and is abandoned), `then`.
    private static func run(_ call: KernelCall, _ frame: WaitFrame, then: @escaping () throws -> GuestStep) -> GuestStep {
        let kernel = call.kernel
        kernel.enterDeferredRoutine(frame.routine)
        DeferredArea.deferredState(kernel).nestedDepth += 1
        waitFrames(kernel).frames.append(frame)
        return .call(frame.routine.routine, frame.routine.arguments) { _ in
            let stack = waitFrames(kernel)
            if let index = stack.frames.lastIndex(where: { $0 === frame }) { stack.frames.removeSubrange(index...) }
            if frame.abandoned {
                suspend(kernel, frame)
            } else {
                DeferredArea.deferredState(kernel).nestedDepth -= 1
                kernel.leaveDeferredRoutine(frame.routine)
                setIrql(kernel, frame.irql)
            }
            return try then()
        }
    }
}
