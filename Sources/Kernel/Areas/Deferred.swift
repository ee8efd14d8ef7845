/// The kernel model's deferred work: DPCs, timers, work items, system
/// threads — queued now (`Kernel.queue`), run as their own entry points later
/// by the scenario, oldest first.
///
/// - DPC: KeInsertQueueDpc queues kind "DPC" with [Dpc, DeferredContext,
///   SystemArgument1, SystemArgument2]; a DPC still in the queue is "queued"
///   (a second insert returns FALSE, KeRemoveQueueDpc takes it out).
/// - Timer: KeSetTimer(Ex) with a DPC queues kind "Timer" once with
///   [Dpc, DeferredContext, DueTime low, DueTime high] (a periodic timer's
///   DPC is not repeated). The timer object is signalled when the model's
///   clock passes its due time (waits and delays advance the clock);
///   KeCancelTimer of a timer not yet due takes its DPC out of the queue.
/// - WorkItem: IoQueueWorkItem [DeviceObject, Context], IoQueueWorkItemEx
///   [IoObject, Context, IoWorkItem], ExQueueWorkItem [Parameter].
/// - SystemThread: PsCreateSystemThread [StartContext]; the thread object
///   (an ETHREAD with a thread dispatcher header) is signalled when it ends.
///
/// PsTerminateSystemThread ends the current entry point: the handler points
/// the trampoline's return address at the kernel's return trap, so the
/// emulation stops there as if the routine had returned ExitStatus.
enum DeferredArea {
    static let handlers: [KernelExport] = [
        // DPCs
        .ntoskrnl("KeInitializeDpc") { try initializeDpc($0, type: Layout.Dispatcher.Dpc.dpcObject) },
        .ntoskrnl("KeInitializeThreadedDpc") { try initializeDpc($0, type: Layout.Dispatcher.Dpc.threadedDpcObject) },
        .ntoskrnl("KeInsertQueueDpc") { try insertQueueDpc($0) },
        .ntoskrnl("KeRemoveQueueDpc") { call in
            let dpc = try call.arg(0)
            return removeQueued(call.kernel) { $0.kind == "DPC" && $0.arguments.first == dpc } ? 1 : 0
        },
        .ntoskrnl("KeSetTargetProcessorDpc") { call in
            let dpc = try call.arg(0), number = UInt8(truncatingIfNeeded: try call.arg(1))
            if number != 0 { call.note("processor \(number) does not exist: the model has one CPU") }
            // Windows stores the number biased by MAXIMUM_PROCESSORS (64 on x64).
            try call.kernel.writeU16(dpc &+ UInt64(Layout.Dispatcher.Dpc.number), UInt16(number) + 64)
            return 0
        },
        .ntoskrnl("KeSetTargetProcessorDpcEx") { call in
            let dpc = try call.arg(0), number = try call.arg(1)
            let group = try call.kernel.readU16(number), index = try call.kernel.readU8(number &+ 2)
            guard group == 0, index == 0 else { return UInt64(NTStatus.invalidParameter) }
            try call.kernel.writeU16(dpc &+ UInt64(Layout.Dispatcher.Dpc.number), 64)
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("KeSetImportanceDpc") { call in
            try call.kernel.writeU8(call.arg(0) &+ UInt64(Layout.Dispatcher.Dpc.importance),
                                    UInt8(truncatingIfNeeded: call.arg(1)))
            return 0
        },
        .ntoskrnl("KeFlushQueuedDpcs") { call in
            let pending = call.kernel.deferredRoutines.filter { $0.kind == "DPC" || $0.kind == "Timer" }.count
            if pending > 0 { call.note("\(pending) queued DPC(s) run after this entry point") }
            return 0
        },
        .ntoskrnl("KeIsExecutingDpc") { call in deferredState(call.kernel).inDpc ? 1 : 0 },
        // Timers
        .ntoskrnl("KeInitializeTimer") { try initializeTimer($0, type: 0) },
        .ntoskrnl("KeInitializeTimerEx") { try initializeTimer($0, type: $0.arg32(1)) },
        .ntoskrnl("KeSetTimer") { try setTimer($0, dueTime: $0.arg(1), period: 0, dpc: $0.arg(2)) },
        .ntoskrnl("KeSetTimerEx") { try setTimer($0, dueTime: $0.arg(1), period: $0.arg32(2), dpc: $0.arg(3)) },
        .ntoskrnl("KeSetCoalescableTimer") { try setTimer($0, dueTime: $0.arg(1), period: $0.arg32(2), dpc: $0.arg(4)) },
        .ntoskrnl("KeCancelTimer") { try cancelTimer($0) },
        .ntoskrnl("KeReadStateTimer") { call in
            try SynchronizationArea.signalState(call.kernel, call.arg(0)) > 0 ? 1 : 0
        },
        // High-resolution timers (EX_TIMER): a KTIMER the model allocates, the callback queued as "Timer"
        // with [Timer, Context].
        .ntoskrnl("ExAllocateTimer") { try allocateExTimer($0) },
        .ntoskrnl("ExSetTimer") { try setExTimer($0) },
        .ntoskrnl("ExCancelTimer") { call in try cancelTimer(call) },
        .ntoskrnl("ExDeleteTimer") { call in
            let cancelled = try call.arg(1) & 0xFF != 0 ? cancelTimer(call) : 0
            deferredState(call.kernel).exTimers[try call.arg(0)] = nil
            return cancelled
        },
        // Work items
        .ntoskrnl("IoSizeofWorkItem") { _ in UInt64(Layout.Dispatcher.IoWorkItem.totalSize) },
        .ntoskrnl("IoAllocateWorkItem") { call in
            let object = try call.arg(0)
            let item = try call.kernel.heap.allocate(Layout.Dispatcher.IoWorkItem.totalSize, name: "IO_WORKITEM")
            try initializeWorkItem(call.kernel, item, ioObject: object)
            return item
        },
        .ntoskrnl("IoInitializeWorkItem") { call in
            try call.kernel.fill(call.arg(1), count: Layout.Dispatcher.IoWorkItem.totalSize)
            try initializeWorkItem(call.kernel, call.arg(1), ioObject: call.arg(0))
            return 0
        },
        .ntoskrnl("IoFreeWorkItem") { try releaseWorkItem($0) },
        .ntoskrnl("IoUninitializeWorkItem") { try releaseWorkItem($0) },
        .ntoskrnl("IoQueueWorkItem") { call in
            try queueWorkItem(call, item: call.arg(0), routine: call.arg(1), context: call.arg(3), extended: false)
            return 0
        },
        .ntoskrnl("IoQueueWorkItemEx") { call in
            try queueWorkItem(call, item: call.arg(0), routine: call.arg(1), context: call.arg(3), extended: true)
            return 0
        },
        .ntoskrnl("IoTryQueueWorkItem") { call in
            try queueWorkItem(call, item: call.arg(0), routine: call.arg(1), context: call.arg(3), extended: true) ? 1 : 0
        },
        .ntoskrnl("ExQueueWorkItem") { call in
            typealias W = Layout.Dispatcher.WorkQueueItem
            let item = try call.arg(0)
            let routine = try call.kernel.readU64(item &+ UInt64(W.workerRoutine))
            let parameter = try call.kernel.readU64(item &+ UInt64(W.parameter))
            call.note("routine \(call.kernel.symbolize(routine))")
            call.kernel.queue(DeferredRoutine(kind: "WorkItem", routine: routine, arguments: [parameter]))
            return 0
        },
        // System threads
        .ntoskrnl("PsCreateSystemThread") { try createSystemThread($0) },
        .ntoskrnl("PsTerminateSystemThread") { try terminateSystemThread($0) },
    ]

    final class State {
        struct Timer {
            var due: UInt64
            var period: UInt64
            /// The routine queued for it (taken out again by a cancel before it is due).
            var pending: DeferredRoutine?
        }
        /// EX_TIMERs (ExAllocateTimer): callback and context.
        var exTimers: [UInt64: (callback: UInt64, context: UInt64)] = [:]
        /// Timers set and not yet expired (periodic ones stay), by KTIMER address.
        var timers: [UInt64: Timer] = [:]
        struct Thread {
            var id: UInt64
            var routine: UInt64
            var context: UInt64
            var started = false
            var terminated = false
        }
        var threads: [UInt64: Thread] = [:]
        /// ETHREADs in creation order (to match a "SystemThread" routine to its thread).
        var threadOrder: [UInt64] = []
        var nextThreadId: UInt64 = 0x1000
        /// The IoObject of each live IO_WORKITEM.
        var workItems: [UInt64: UInt64] = [:]
        var inDpc = false
        /// Threads entered with `enterDeferredRoutine`, innermost last.
        var running: [UInt64] = []
        /// Routines running as guest calls inside a wait (Synchronization+Deferred.swift).
        var nestedDepth = 0
    }

    static func deferredState(_ kernel: Kernel) -> State { kernel.state(State.self) { State() } }

    /// Removes the queued routines matching `predicate`; true if there were any.
    static func removeQueued(_ kernel: Kernel, where predicate: (DeferredRoutine) -> Bool) -> Bool {
        let before = kernel.deferredRoutines.count
        kernel.deferredRoutines.removeAll(where: predicate)
        return kernel.deferredRoutines.count != before
    }

    // MARK: DPCs

    /// KeInitializeDpc(Dpc, DeferredRoutine, DeferredContext).
    static func initializeDpc(_ call: KernelCall, type: UInt8) throws -> UInt64 {
        typealias D = Layout.Dispatcher.Dpc
        let kernel = call.kernel, dpc = try call.arg(0)
        try kernel.fill(dpc, count: D.totalSize)
        try kernel.writeU8(dpc &+ UInt64(D.type), type)
        try kernel.writeU8(dpc &+ UInt64(D.importance), D.mediumImportance)
        try kernel.writeU64(dpc &+ UInt64(D.deferredRoutine), call.arg(1))
        try kernel.writeU64(dpc &+ UInt64(D.deferredContext), call.arg(2))
        call.note("routine \(kernel.symbolize(try call.arg(1)))")
        return 0
    }

    /// KeInsertQueueDpc(Dpc, SystemArgument1, SystemArgument2) → FALSE if already queued.
    static func insertQueueDpc(_ call: KernelCall) throws -> UInt64 {
        typealias D = Layout.Dispatcher.Dpc
        let kernel = call.kernel, dpc = try call.arg(0)
        let argument1 = try call.arg(1), argument2 = try call.arg(2)
        if kernel.deferredRoutines.contains(where: { $0.kind == "DPC" && $0.arguments.first == dpc }) {
            call.note("already queued")
            return 0
        }
        try kernel.writeU64(dpc &+ UInt64(D.systemArgument1), argument1)
        try kernel.writeU64(dpc &+ UInt64(D.systemArgument2), argument2)
        let routine = try kernel.readU64(dpc &+ UInt64(D.deferredRoutine))
        let context = try kernel.readU64(dpc &+ UInt64(D.deferredContext))
        call.note("routine \(kernel.symbolize(routine))")
        kernel.queue(DeferredRoutine(kind: "DPC", routine: routine, arguments: [dpc, context, argument1, argument2]))
        return 1
    }

    // MARK: Timers

    /// KeInitializeTimerEx(Timer, Type): NotificationTimer 0, SynchronizationTimer 1.
    static func initializeTimer(_ call: KernelCall, type: UInt32) throws -> UInt64 {
        typealias H = Layout.Dispatcher.Header
        let kernel = call.kernel, timer = try call.arg(0)
        try SynchronizationArea.writeHeader(kernel, timer, type: type == 1 ? H.timerSynchronization : H.timerNotification,
                                            size: Layout.Dispatcher.Timer.totalSize, signal: 0)
        try kernel.fill(timer &+ UInt64(Layout.Dispatcher.Timer.dueTime), count: Layout.Dispatcher.Timer.totalSize - 0x18)
        deferredState(kernel).timers[timer] = nil
        return 0
    }

    /// KeSetTimer(Ex)(Timer, DueTime, [Period ms,] Dpc) → TRUE if the timer was already set.
    static func setTimer(_ call: KernelCall, dueTime: UInt64, period: UInt32, dpc: UInt64) throws -> UInt64 {
        typealias T = Layout.Dispatcher.Timer
        let kernel = call.kernel, timer = try call.arg(0), state = deferredState(kernel)
        let wasSet = state.timers.removeValue(forKey: timer)
        if let pending = wasSet?.pending { dropQueued(kernel, pending) }
        let due = TimeArea.absoluteTime(kernel, Int64(bitPattern: dueTime))
        let periodTicks = UInt64(Int32(bitPattern: period) > 0 ? period : 0) * 10_000
        try SynchronizationArea.setSignal(kernel, timer, 0)
        try kernel.writeU64(timer &+ UInt64(T.dueTime), due)
        try kernel.writeU64(timer &+ UInt64(T.dpc), dpc)
        try kernel.writeU32(timer &+ UInt64(T.period), UInt32(periodTicks / 10_000))
        var pending: DeferredRoutine?
        if dpc != 0 {
            let routine = try kernel.readU64(dpc &+ UInt64(Layout.Dispatcher.Dpc.deferredRoutine))
            let context = try kernel.readU64(dpc &+ UInt64(Layout.Dispatcher.Dpc.deferredContext))
            pending = DeferredRoutine(kind: "Timer", routine: routine, arguments: [dpc, context, due & 0xFFFF_FFFF, due >> 32])
        }
        arm(call, timer, due: due, period: periodTicks, pending: pending)
        try expireTimers(kernel)
        return wasSet != nil ? 1 : 0
    }

    static func arm(_ call: KernelCall, _ timer: UInt64, due: UInt64, period: UInt64, pending: DeferredRoutine?) {
        deferredState(call.kernel).timers[timer] = .init(due: due, period: period, pending: pending)
        call.note("due 0x\(String(due, radix: 16))" + (period > 0 ? ", every \(period / 10_000) ms" : ""))
        if let pending { call.kernel.queue(pending) }
    }

    /// Takes one queued copy of `routine` out of the queue (if it has not been taken yet).
    static func dropQueued(_ kernel: Kernel, _ routine: DeferredRoutine) {
        if let index = kernel.deferredRoutines.firstIndex(of: routine) { kernel.deferredRoutines.remove(at: index) }
    }

    /// KeCancelTimer(Timer) → TRUE if the timer was set (and not yet due).
    static func cancelTimer(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, timer = try call.arg(0)
        guard let old = deferredState(kernel).timers.removeValue(forKey: timer) else { return 0 }
        if let pending = old.pending { dropQueued(kernel, pending) }
        return 1
    }

    /// ExAllocateTimer(Callback, CallbackContext, Attributes): EX_TIMER_NOTIFICATION (0x80000000)
    /// makes a notification timer, otherwise a synchronization timer; both can be waited on.
    static func allocateExTimer(_ call: KernelCall) throws -> UInt64 {
        typealias H = Layout.Dispatcher.Header
        let kernel = call.kernel, callback = try call.arg(0), context = try call.arg(1), attributes = try call.arg32(2)
        let state = deferredState(kernel)
        guard state.exTimers.count < 4096 else { return 0 }
        let timer = try kernel.heap.allocate(Layout.Dispatcher.Timer.totalSize + 0x40, name: "EX_TIMER")
        try SynchronizationArea.writeHeader(kernel, timer, type: attributes & 0x8000_0000 != 0 ? H.timerNotification : H.timerSynchronization,
                                            size: Layout.Dispatcher.Timer.totalSize, signal: 0)
        state.exTimers[timer] = (callback, context)
        return timer
    }

    /// ExSetTimer(Timer, DueTime, Period (100 ns), Parameters) → TRUE if the timer was already set.
    static func setExTimer(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, timer = try call.arg(0), state = deferredState(kernel)
        guard let info = state.exTimers[timer] else {
            call.note("not a timer from ExAllocateTimer")
            return 0
        }
        let wasSet = state.timers.removeValue(forKey: timer)
        if let pending = wasSet?.pending { dropQueued(kernel, pending) }
        let due = TimeArea.absoluteTime(kernel, Int64(bitPattern: try call.arg(1)))
        let period = Int64(bitPattern: try call.arg(2))
        try SynchronizationArea.setSignal(kernel, timer, 0)
        let pending = info.callback != 0 ? DeferredRoutine(kind: "Timer", routine: info.callback, arguments: [timer, info.context]) : nil
        arm(call, timer, due: due, period: period > 0 ? UInt64(period) : 0, pending: pending)
        try expireTimers(kernel)
        return wasSet != nil ? 1 : 0
    }

    /// When an armed timer is due (absolute system time), for waits.
    static func timerDue(_ kernel: Kernel, _ timer: UInt64) -> UInt64? { deferredState(kernel).timers[timer]?.due }

    /// Signals every timer whose due time has passed; periodic ones are re-armed.
    static func expireTimers(_ kernel: Kernel) throws {
        let state = deferredState(kernel), now = kernel.processor.systemTime
        for (timer, value) in state.timers where value.due <= now {
            guard (try? SynchronizationArea.setSignal(kernel, timer, 1)) != nil else {
                state.timers[timer] = nil // the timer's memory is gone
                continue
            }
            if value.period > 0 {
                let periods = (now - value.due) / value.period + 1
                let (step, overflow) = periods.multipliedReportingOverflow(by: value.period)
                let (next, overflow2) = value.due.addingReportingOverflow(step)
                state.timers[timer]?.due = overflow || overflow2 ? UInt64.max : next
            } else {
                state.timers[timer] = nil
            }
        }
    }

    // MARK: Work items

    static func initializeWorkItem(_ kernel: Kernel, _ item: UInt64, ioObject: UInt64) throws {
        // IO_WORKITEM: WORK_QUEUE_ITEM (0x20), Routine, IoObject at +0x28, Context.
        try kernel.writeU64(item &+ 0x28, ioObject)
        deferredState(kernel).workItems[item] = ioObject
    }

    static func releaseWorkItem(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, item = try call.arg(0)
        if deferredState(kernel).workItems.removeValue(forKey: item) == nil {
            call.note("work item \(SynchronizationArea.hex(item)) was not allocated or was already freed")
        }
        if kernel.deferredRoutines.contains(where: { $0.kind == "WorkItem" && $0.arguments.last == item }) {
            call.note("work item freed while still queued")
        }
        return 0
    }

    /// IoQueueWorkItem(IoWorkItem, WorkerRoutine, QueueType, Context) and the Ex form.
    @discardableResult
    static func queueWorkItem(_ call: KernelCall, item: UInt64, routine: UInt64, context: UInt64, extended: Bool) throws -> Bool {
        let kernel = call.kernel
        guard let ioObject = deferredState(kernel).workItems[item] else {
            call.note("work item \(SynchronizationArea.hex(item)) is not allocated")
            return false
        }
        try kernel.writeU64(item &+ 0x20, routine)
        try kernel.writeU64(item &+ 0x30, context)
        let queued = DeferredRoutine(kind: "WorkItem", routine: routine,
                                     arguments: extended ? [ioObject, context, item] : [ioObject, context])
        if kernel.deferredRoutines.contains(where: { $0.kind == "WorkItem" && $0.routine == routine && $0.arguments == queued.arguments }) {
            call.note("work item already queued")
            return false
        }
        call.note("routine \(kernel.symbolize(routine))")
        kernel.queue(queued)
        return true
    }

    // MARK: System threads

    /// PsCreateSystemThread(ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle,
    ///                      ClientId, StartRoutine, StartContext).
    static func createSystemThread(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, state = deferredState(kernel)
        let out = try call.arg(0), clientId = try call.arg(4), routine = try call.arg(5), context = try call.arg(6)
        guard state.threads.count < 1024 else { return UInt64(NTStatus.insufficientResources) }
        let thread = try kernel.obAllocate(kind: "Thread", bodySize: Layout.KThread.totalSize)
        try SynchronizationArea.writeHeader(kernel, thread, type: Layout.Dispatcher.Header.thread, size: 0, signal: 0)
        try kernel.writeU64(thread &+ UInt64(Layout.KThread.apcStateProcess), kernel.processor.process)
        guard let handle = kernel.handles.insert(.init(kind: "Thread", object: thread)) else {
            return UInt64(NTStatus.insufficientResources)
        }
        try kernel.writeU64(out, handle)
        let id = state.nextThreadId
        state.nextThreadId += 4
        if clientId != 0 {
            try kernel.writeU64(clientId, 4)
            try kernel.writeU64(clientId &+ 8, id)
        }
        state.threads[thread] = .init(id: id, routine: routine, context: context)
        state.threadOrder.append(thread)
        call.note("thread \(SynchronizationArea.hex(thread)) id \(id), start \(kernel.symbolize(routine))")
        kernel.queue(DeferredRoutine(kind: "SystemThread", routine: routine, arguments: [context]))
        return UInt64(NTStatus.success)
    }

    /// PsTerminateSystemThread(ExitStatus): signals the current thread object and ends the entry
    /// point by returning through the kernel's return trap with RAX = ExitStatus.
    static func terminateSystemThread(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, status = try call.arg32(0)
        let thread = SynchronizationArea.currentThread(kernel), state = deferredState(kernel)
        if state.threads[thread] != nil {
            state.threads[thread]?.terminated = true
            try SynchronizationArea.setSignal(kernel, thread, 1)
        }
        // A thread run inside a wait returns to the waiter: unwind to its guest-call frame.
        if state.nestedDepth > 0, let routine = state.threads[thread]?.routine,
           let pending = kernel.guestCallbacks.pending.last(where: { $0.routine == routine }) {
            call.note("thread exits with \(NTStatus.name(status)); back to the waiting caller")
            try kernel.engine.write(.rsp, pending.resumeStack &- 8)
            return UInt64(status)
        }
        call.note("thread exits with \(NTStatus.name(status)); the entry point ends here")
        try kernel.writeU64(call.stackPointer, kernel.returnTrap)
        return UInt64(status)
    }

    /// The ETHREAD of the system thread with `id` (for PsLookupThreadByThreadId and the like).
    static func systemThread(_ kernel: Kernel, id: UInt64) -> UInt64? {
        deferredState(kernel).threads.first { $0.value.id == id }?.key
    }

    /// The thread ID of a thread the driver created (nil for the model's own thread).
    static func systemThreadId(_ kernel: Kernel, thread: UInt64) -> UInt64? {
        deferredState(kernel).threads[thread]?.id
    }
}

extension Kernel {
    /// Prepares the machine for running a queued routine as an entry point: a system thread
    /// becomes the current thread (KPCR.Prcb.CurrentThread), DPCs and timer DPCs run at
    /// DISPATCH_LEVEL. Call `leaveDeferredRoutine` with the same routine afterwards.
    public func enterDeferredRoutine(_ routine: DeferredRoutine) {
        let state = DeferredArea.deferredState(self)
        switch routine.kind {
        case "DPC", "Timer":
            state.inDpc = true
            SynchronizationArea.setIrql(self, SynchronizationArea.dispatchLevel)
        case "SystemThread":
            guard let thread = state.threadOrder.first(where: {
                guard let info = state.threads[$0] else { return false }
                return !info.started && info.routine == routine.routine && info.context == routine.arguments.first
            }) else { return }
            state.threads[thread]?.started = true
            state.running.append(thread)
            try? writeU64(processor.kpcr &+ UInt64(Layout.KPCR.currentThread), thread)
        default:
            break
        }
    }

    /// Undoes `enterDeferredRoutine`: IRQL back to PASSIVE_LEVEL, and a system thread that
    /// returned (or called PsTerminateSystemThread) is terminated — its object signalled.
    public func leaveDeferredRoutine(_ routine: DeferredRoutine) {
        let state = DeferredArea.deferredState(self)
        state.inDpc = false
        SynchronizationArea.setIrql(self, SynchronizationArea.passiveLevel)
        guard routine.kind == "SystemThread", let thread = state.running.popLast() else { return }
        state.threads[thread]?.terminated = true
        _ = try? SynchronizationArea.setSignal(self, thread, 1)
        try? writeU64(processor.kpcr &+ UInt64(Layout.KPCR.currentThread), state.running.last ?? processor.thread)
    }
}
