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
/// if its start routine had returned. A thread that never ends (a worker loop)
/// keeps the CPU: the model cannot switch back to the waiter in the middle of
/// it, and the kernel-call or instruction limit ends the entry point.
extension SynchronizationArea {
    /// Routines run per wait before it gives up (each may queue more).
    static let maxDeferredRuns = 16

    /// Kinds of queued routines that would run on Windows while the caller waits. Timer DPCs
    /// are not among them: they run when the clock reaches their due time.
    static let runnableWhileWaiting: Set<String> = ["SystemThread", "WorkItem", "DPC"]

    /// Runs `wait`; if it would block forever and runnable routines are queued, runs one of them
    /// (as a guest call) and tries again, until the wait is satisfied or nothing is left. A thread
    /// among `objects` (the wait is for its end) runs first; otherwise the oldest routine — one at
    /// a time, so a worker that never ends is only entered when nothing else could help.
    /// The value for RAX (or the guest call in flight).
    static func waitRunningDeferred(_ call: KernelCall, objects: [UInt64] = [],
                                    _ wait: @escaping () throws -> UInt64) throws -> UInt64 {
        try call.kernel.runGuestStep(call, try waitStep(call, runs: 0, objects: objects, wait))
    }

    /// The objects behind `handles` (for `waitRunningDeferred`'s preference).
    static func objects(_ kernel: Kernel, handles: [UInt64]) -> [UInt64] {
        handles.compactMap { kernel.handles.lookup($0)?.object }.filter { $0 != 0 }
    }

    private static func waitStep(_ call: KernelCall, runs: Int, objects: [UInt64],
                                 _ wait: @escaping () throws -> UInt64) throws -> GuestStep {
        let kernel = call.kernel
        do {
            return .finish(try wait())
        } catch KernelStop.unsatisfiableWait(let what) {
            guard runs < maxDeferredRuns, let index = nextRoutine(kernel, preferring: objects) else {
                throw KernelStop.unsatisfiableWait(what)
            }
            let routine = kernel.deferredRoutines.remove(at: index)
            call.note("would block: runs queued \(routine.kind) \(kernel.symbolize(routine.routine)) first, as Windows' scheduler would")
            return run(call, routine) { try waitStep(call, runs: runs + 1, objects: objects, wait) }
        }
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

    /// Calls `routine`, entered and left as a deferred routine (its thread current, its IRQL), then `then`.
    private static func run(_ call: KernelCall, _ routine: DeferredRoutine,
                            then: @escaping () throws -> GuestStep) -> GuestStep {
        let kernel = call.kernel, irql = currentIrql(kernel)
        kernel.enterDeferredRoutine(routine)
        DeferredArea.deferredState(kernel).nestedDepth += 1
        return .call(routine.routine, routine.arguments) { _ in
            DeferredArea.deferredState(kernel).nestedDepth -= 1
            kernel.leaveDeferredRoutine(routine)
            setIrql(kernel, irql)
            return try then()
        }
    }
}
