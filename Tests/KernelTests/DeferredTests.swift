import Testing
@testable import Kernel

struct DeferredTests {
    @Test func dpcIsQueuedOnceWithItsArguments() throws {
        let h = try KernelHarness()
        let dpc = try h.buffer(0x40)
        try h.call("KeInitializeDpc", dpc, 0x1400_1000, 0xC0C0)
        #expect(try h.kernel.readU8(dpc) == 0x13)
        #expect(try h.kernel.readU8(dpc + 1) == 1)
        #expect(try h.kernel.readU64(dpc + 0x18) == 0x1400_1000)
        #expect(try h.call("KeInsertQueueDpc", dpc, 0xA1, 0xA2) == 1)
        #expect(try h.call("KeInsertQueueDpc", dpc, 0xB1, 0xB2) == 0) // already queued
        let queued = h.kernel.takeDeferredRoutines()
        #expect(queued == [DeferredRoutine(kind: "DPC", routine: 0x1400_1000, arguments: [dpc, 0xC0C0, 0xA1, 0xA2])])
        // Once taken (run), it can be queued again; KeRemoveQueueDpc takes it back out.
        #expect(try h.call("KeInsertQueueDpc", dpc, 1, 2) == 1)
        #expect(try h.call("KeRemoveQueueDpc", dpc) == 1)
        #expect(try h.call("KeRemoveQueueDpc", dpc) == 0)
        #expect(h.kernel.takeDeferredRoutines().isEmpty)
    }

    @Test func timerDpcIsQueuedAndTheTimerSignalsWhenTimePasses() throws {
        let h = try KernelHarness()
        let timer = try h.buffer(0x40), dpc = try h.buffer(0x40)
        try h.call("KeInitializeTimerEx", timer, 1) // SynchronizationTimer
        #expect(try h.kernel.readU8(timer) == 9)
        try h.call("KeInitializeDpc", dpc, 0x1400_2000, 0x77)
        #expect(try h.call("KeSetTimer", timer, UInt64(bitPattern: -5_000_000), dpc) == 0)  // 500 ms
        #expect(try h.call("KeReadStateTimer", timer) == 0)
        let queued = h.kernel.takeDeferredRoutines()
        #expect(queued.count == 1 && queued[0].kind == "Timer" && queued[0].routine == 0x1400_2000)
        #expect(queued[0].arguments.prefix(2) == [dpc, 0x77])
        // An infinite wait on the set timer is satisfiable: the clock moves to its due time.
        let before = h.kernel.processor.systemTime
        #expect(try h.call("KeWaitForSingleObject", timer, 0, 0, 0, 0) == 0)
        #expect(h.kernel.processor.systemTime - before >= 5_000_000)
        #expect(try h.call("KeReadStateTimer", timer) == 0) // synchronization timer: reset by the wait
        // Not set any more: an infinite wait cannot end.
        #expect(throws: KernelStop.self) { try h.call("KeWaitForSingleObject", timer, 0, 0, 0, 0) }
    }

    @Test func cancelTimerReportsWhetherItWasSetAndDropsItsDpc() throws {
        let h = try KernelHarness()
        let timer = try h.buffer(0x40), dpc = try h.buffer(0x40)
        try h.call("KeInitializeTimer", timer)
        try h.call("KeInitializeDpc", dpc, 0x1400_3000, 0)
        #expect(try h.call("KeSetTimerEx", timer, UInt64(bitPattern: -10_000), 100, dpc) == 0)
        #expect(try h.call("KeSetTimerEx", timer, UInt64(bitPattern: -10_000), 100, dpc) == 1) // was set
        #expect(h.kernel.deferredRoutines.count == 1)
        #expect(try h.call("KeCancelTimer", timer) == 1)
        #expect(try h.call("KeCancelTimer", timer) == 0)
        #expect(h.kernel.takeDeferredRoutines().isEmpty)
    }

    @Test func delayExpiresPeriodicTimers() throws {
        let h = try KernelHarness()
        let timer = try h.buffer(0x40), interval = try h.buffer(8)
        try h.call("KeInitializeTimerEx", timer, 0)
        try h.call("KeSetTimerEx", timer, UInt64(bitPattern: -10_000), 10, 0) // 1 ms, then every 10 ms
        try h.kernel.writeU64(interval, UInt64(bitPattern: -20_000))
        try h.call("KeDelayExecutionThread", 0, 0, interval)
        #expect(try h.call("KeReadStateTimer", timer) == 1)
        #expect(try h.call("KeCancelTimer", timer) == 1) // periodic: still set
    }

    @Test func exTimerQueuesItsCallbackAndCanBeWaitedOn() throws {
        let h = try KernelHarness()
        let timer = try h.call("ExAllocateTimer", 0x1400_A000, 0xC1, 0x8000_0000)
        #expect(timer != 0)
        #expect(try h.call("ExSetTimer", timer, UInt64(bitPattern: -1_000_000), 0, 0) == 0)
        #expect(h.kernel.deferredRoutines == [DeferredRoutine(kind: "Timer", routine: 0x1400_A000, arguments: [timer, 0xC1])])
        #expect(try h.call("ExSetTimer", timer, UInt64(bitPattern: -1_000_000), 0, 0) == 1) // replaces the pending one
        #expect(h.kernel.deferredRoutines.count == 1)
        #expect(try h.call("KeWaitForSingleObject", timer, 0, 0, 0, 0) == 0)
        #expect(try h.call("ExDeleteTimer", timer, 1, 0, 0) == 0) // already expired: nothing to cancel
    }

    @Test func workItemsQueueTheirRoutineWithDeviceAndContext() throws {
        let h = try KernelHarness()
        #expect(try h.call("IoSizeofWorkItem") == 0x58)
        let device: UInt64 = 0xFFFF_A000_0000_1000
        let item = try h.call("IoAllocateWorkItem", device)
        #expect(item != 0)
        try h.call("IoQueueWorkItem", item, 0x1400_4000, 1, 0xC7)
        try h.call("IoQueueWorkItem", item, 0x1400_4000, 1, 0xC7) // already queued: ignored
        try h.call("IoQueueWorkItemEx", item, 0x1400_5000, 1, 0xC8)
        let legacy = try h.buffer(0x20)
        try h.kernel.writeU64(legacy + 0x10, 0x1400_6000)
        try h.kernel.writeU64(legacy + 0x18, 0xC9)
        try h.call("ExQueueWorkItem", legacy, 1)
        #expect(h.kernel.takeDeferredRoutines() == [
            DeferredRoutine(kind: "WorkItem", routine: 0x1400_4000, arguments: [device, 0xC7]),
            DeferredRoutine(kind: "WorkItem", routine: 0x1400_5000, arguments: [device, 0xC8, item]),
            DeferredRoutine(kind: "WorkItem", routine: 0x1400_6000, arguments: [0xC9]),
        ])
    }

    @Test func systemThreadGetsAHandleAClientIdAndAWaitableObject() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8), clientId = try h.buffer(16)
        #expect(try h.call("PsCreateSystemThread", out, 0x1F03FF, 0, 0, clientId, 0x1400_7000, 0xC7C7) == 0)
        let handle = try h.kernel.readU64(out)
        let entry = try #require(h.kernel.handles.lookup(handle))
        #expect(entry.kind == "Thread")
        #expect(try h.kernel.readU8(entry.object) == 6) // ThreadObject header
        #expect(try h.kernel.readU64(clientId) == 4)
        #expect(try h.kernel.readU64(clientId + 8) != 0)
        let routine = DeferredRoutine(kind: "SystemThread", routine: 0x1400_7000, arguments: [0xC7C7])
        #expect(h.kernel.takeDeferredRoutines() == [routine])
        // Before it runs, waiting for it forever cannot end; after it ran, the wait succeeds.
        #expect(throws: KernelStop.self) { try h.call("ZwWaitForSingleObject", handle, 0, 0) }
        h.kernel.enterDeferredRoutine(routine)
        #expect(try h.call("PsGetCurrentThread") == entry.object)
        h.kernel.leaveDeferredRoutine(routine)
        #expect(try h.call("PsGetCurrentThread") == h.kernel.processor.thread)
        #expect(try h.call("ZwWaitForSingleObject", handle, 0, 0) == 0)
    }

    @Test func terminateSystemThreadReturnsThroughTheReturnTrap() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        try h.call("PsCreateSystemThread", out, 0, 0, 0, 0, 0x1400_8000, 0)
        let routine = try #require(h.kernel.takeDeferredRoutines().first)
        let thread = try #require(h.kernel.handles.lookup(h.kernel.readU64(out))).object
        h.kernel.enterDeferredRoutine(routine)
        let rsp = try h.kernel.engine.read(.rsp)
        #expect(try h.call("PsTerminateSystemThread", 0xC000_0001) == 0xC000_0001)
        #expect(try h.kernel.readU64(rsp) == h.kernel.returnTrap)
        #expect(try h.kernel.readU32(thread + 4) == 1) // signalled
    }

    @Test func dpcRunsAtDispatchLevel() throws {
        let h = try KernelHarness()
        let routine = DeferredRoutine(kind: "DPC", routine: 0x1400_9000, arguments: [0, 0, 0, 0])
        h.kernel.enterDeferredRoutine(routine)
        #expect(try h.call("KeGetCurrentIrql") == 2)
        #expect(try h.call("KeIsExecutingDpc") == 1)
        h.kernel.leaveDeferredRoutine(routine)
        #expect(try h.call("KeGetCurrentIrql") == 0)
    }

    @Test func oneProcessorEverywhere() throws {
        let h = try KernelHarness()
        #expect(try h.call("KeQueryActiveProcessors") == 1)
        #expect(try h.call("KeQueryActiveProcessorCountEx", 0xFFFF) == 1)
        #expect(try h.call("KeQueryActiveProcessorCountEx", 1) == 0)
        #expect(try h.call("KeSetSystemAffinityThreadEx", 1) == 0)
        #expect(try h.call("KeSetSystemAffinityThreadEx", 1) == 1)
        #expect(try h.call("KeSetPriorityThread", h.kernel.processor.thread, 16) == 8)
        #expect(try h.call("KeQueryPriorityThread", h.kernel.processor.thread) == 16)
    }
}
