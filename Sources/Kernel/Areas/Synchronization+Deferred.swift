/// Waits that queued work could satisfy.
///
/// On Windows a system thread (PsCreateSystemThread), a work item and a DPC
/// run on their own while the creator goes on: a DriverEntry that creates a
/// thread and then waits (without a timeout) for the thread, or for an event
/// the thread sets, is satisfied as soon as the scheduler switches to the
/// thread. The model has one thread of execution, so when an infinite wait
/// would block, the wait handler first runs the routines queued so far (as
/// guest calls, oldest first, each with its thread as the current thread and
/// its IRQL), then checks the wait again. Only when nothing queued is left and
/// the wait still cannot be satisfied does it end the entry point with
/// `KernelStop.unsatisfiableWait`.
///
/// A thread that ends with PsTerminateSystemThread returns to the waiter, as
/// if its start routine had returned. A thread that never ends (a worker loop)
/// keeps the CPU: the model cannot switch back to the waiter in the middle of
/// it, and the kernel-call or instruction limit ends the entry point.
extension SynchronizationArea {
    /// Rounds of "run what is queued, wait again" per wait (each round may queue more).
    static let maxDeferredRounds = 16

    /// Kinds of queued routines that would run on Windows while the caller waits. Timer DPCs
    /// are not among them: they run when the clock reaches their due time.
    static let runnableWhileWaiting: Set<String> = ["SystemThread", "WorkItem", "DPC"]

    /// Runs `wait`; if it would block forever and runnable routines are queued, runs them first
    /// (as guest calls) and tries again. The value for RAX (or the guest call in flight).
    static func waitRunningDeferred(_ call: KernelCall, _ wait: @escaping () throws -> UInt64) throws -> UInt64 {
        try call.kernel.runGuestStep(call, try waitStep(call, round: 0, wait))
    }

    private static func waitStep(_ call: KernelCall, round: Int, _ wait: @escaping () throws -> UInt64) throws -> GuestStep {
        let kernel = call.kernel
        do {
            return .finish(try wait())
        } catch KernelStop.unsatisfiableWait(let what) {
            let runnable = kernel.deferredRoutines.filter { runnableWhileWaiting.contains($0.kind) }
            guard round < maxDeferredRounds, !runnable.isEmpty else { throw KernelStop.unsatisfiableWait(what) }
            kernel.deferredRoutines.removeAll { runnableWhileWaiting.contains($0.kind) }
            call.note("would block: running \(runnable.count) queued routine(s) first, as Windows' scheduler would")
            return try runEach(call, runnable[...]) { try waitStep(call, round: round + 1, wait) }
        }
    }

    /// Calls `routines` one after another, each entered and left as a deferred routine, then `then`.
    private static func runEach(_ call: KernelCall, _ routines: ArraySlice<DeferredRoutine>,
                                then: @escaping () throws -> GuestStep) throws -> GuestStep {
        guard let routine = routines.first else { return try then() }
        let kernel = call.kernel, irql = currentIrql(kernel)
        kernel.enterDeferredRoutine(routine)
        DeferredArea.deferredState(kernel).nestedDepth += 1
        return .call(routine.routine, routine.arguments) { _ in
            DeferredArea.deferredState(kernel).nestedDepth -= 1
            kernel.leaveDeferredRoutine(routine)
            setIrql(kernel, irql)
            return try runEach(call, routines.dropFirst(), then: then)
        }
    }
}
