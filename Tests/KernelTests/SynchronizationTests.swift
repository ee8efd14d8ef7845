import Testing
@testable import Kernel

/// A relative timeout of `ms` milliseconds as a LARGE_INTEGER in guest memory.
private func relative(_ h: KernelHarness, ms: Int64) throws -> UInt64 {
    let pointer = try h.buffer(8)
    try h.kernel.writeU64(pointer, UInt64(bitPattern: -ms * 10_000))
    return pointer
}

private func isUnsatisfiable(_ error: any Error, mentioning text: String) -> Bool {
    guard case .unsatisfiableWait(let what)? = error as? KernelStop else { return false }
    return what.contains(text)
}

struct SynchronizationTests {
    static let timeout: UInt64 = 0x102

    @Test func eventInitialisationWritesTheDispatcherHeader() throws {
        let h = try KernelHarness()
        let event = try h.buffer(0x18)
        try h.call("KeInitializeEvent", event, 1, 1)
        #expect(try h.kernel.readU8(event) == 1)       // SynchronizationEvent
        #expect(try h.kernel.readU8(event + 2) == 6)   // Size in ULONGs
        #expect(try h.kernel.readU32(event + 4) == 1)  // SignalState
        #expect(try h.kernel.readU64(event + 8) == event + 8)
        #expect(try h.kernel.readU64(event + 0x10) == event + 8)
    }

    @Test func synchronizationEventResetsOnWaitNotificationEventStaysSignalled() throws {
        let h = try KernelHarness()
        let sync = try h.buffer(0x18), notification = try h.buffer(0x18)
        try h.call("KeInitializeEvent", sync, 1, 0)
        try h.call("KeInitializeEvent", notification, 0, 0)
        #expect(try h.call("KeSetEvent", sync, 0, 0) == 0)          // previous state
        #expect(try h.call("KeSetEvent", notification, 0, 0) == 0)
        #expect(try h.call("KeWaitForSingleObject", sync, 0, 0, 0, 0) == 0)
        #expect(try h.call("KeReadStateEvent", sync) == 0)
        #expect(try h.call("KeWaitForSingleObject", notification, 0, 0, 0, 0) == 0)
        #expect(try h.call("KeReadStateEvent", notification) == 1)
        #expect(try h.call("KeResetEvent", notification) == 1)
        #expect(try h.call("KeReadStateEvent", notification) == 0)
    }

    @Test func zeroTimeoutPollsAndFiniteTimeoutAdvancesTheClock() throws {
        let h = try KernelHarness()
        let event = try h.buffer(0x18)
        try h.call("KeInitializeEvent", event, 0, 0)
        let zero = try h.buffer(8)
        let before = h.kernel.processor.systemTime
        #expect(try h.call("KeWaitForSingleObject", event, 0, 0, 0, zero) == Self.timeout)
        #expect(h.kernel.processor.systemTime == before)
        #expect(try h.call("KeWaitForSingleObject", event, 0, 0, 0, relative(h, ms: 250)) == Self.timeout)
        #expect(h.kernel.processor.systemTime == before + 2_500_000)
    }

    @Test func infiniteWaitOnAnUnsignalledEventEndsTheEntryPoint() throws {
        let h = try KernelHarness()
        let event = try h.buffer(0x18)
        try h.call("KeInitializeEvent", event, 0, 0)
        #expect { try h.call("KeWaitForSingleObject", event, 0, 0, 0, 0) } throws: {
            isUnsatisfiable($0, mentioning: "notification event 0x" + String(event, radix: 16))
        }
    }

    @Test func mutexIsRecursiveAndCountsItsOwner() throws {
        let h = try KernelHarness()
        let mutex = try h.buffer(0x38)
        try h.call("KeInitializeMutex", mutex, 0)
        #expect(try h.call("KeReadStateMutex", mutex) == 1)
        #expect(try h.call("KeWaitForSingleObject", mutex, 0, 0, 0, 0) == 0)
        #expect(try h.call("KeWaitForSingleObject", mutex, 0, 0, 0, 0) == 0)
        #expect(Int32(bitPattern: UInt32(try h.call("KeReadStateMutex", mutex))) == -1)
        #expect(try h.kernel.readU64(mutex + 0x28) == h.kernel.processor.thread)
        #expect(UInt32(try h.call("KeReleaseMutex", mutex, 0)) == UInt32(bitPattern: -1))
        #expect(try h.call("KeReleaseMutex", mutex, 0) == 0)  // now free: previous state 0
        #expect(try h.kernel.readU64(mutex + 0x28) == 0)
        // Releasing a free mutex raises STATUS_MUTANT_NOT_OWNED.
        #expect { try h.call("KeReleaseMutex", mutex, 0) } throws: {
            if case .bugCheck(0x1E, let p, _)? = $0 as? KernelStop { return p.first == 0xC000_0046 }
            return false
        }
    }

    @Test func semaphoreCountsDownAndEnforcesItsLimit() throws {
        let h = try KernelHarness()
        let semaphore = try h.buffer(0x20)
        try h.call("KeInitializeSemaphore", semaphore, 1, 2)
        #expect(try h.call("KeWaitForSingleObject", semaphore, 0, 0, 0, 0) == 0)
        #expect(try h.call("KeReadStateSemaphore", semaphore) == 0)
        #expect(try h.call("KeWaitForSingleObject", semaphore, 0, 0, 0, relative(h, ms: 1)) == Self.timeout)
        #expect(try h.call("KeReleaseSemaphore", semaphore, 0, 2, 0) == 0)
        #expect(try h.call("KeReadStateSemaphore", semaphore) == 2)
        #expect { try h.call("KeReleaseSemaphore", semaphore, 0, 1, 0) } throws: {
            if case .bugCheck(0x1E, let p, _)? = $0 as? KernelStop { return p.first == 0xC000_0047 }
            return false
        }
    }

    @Test func waitAnyReturnsTheFirstSignalledIndexWaitAllNeedsEveryObject() throws {
        let h = try KernelHarness()
        let a = try h.buffer(0x18), b = try h.buffer(0x18), array = try h.buffer(16)
        try h.call("KeInitializeEvent", a, 0, 0)
        try h.call("KeInitializeEvent", b, 1, 1)
        try h.kernel.writeU64(array, a)
        try h.kernel.writeU64(array + 8, b)
        let zero = try h.buffer(8)
        // WaitAll (0) with one unsignalled: times out and consumes nothing.
        #expect(try h.call("KeWaitForMultipleObjects", 2, array, 0, 0, 0, 0, zero, 0) == Self.timeout)
        #expect(try h.call("KeReadStateEvent", b) == 1)
        // WaitAny (1): index 1.
        #expect(try h.call("KeWaitForMultipleObjects", 2, array, 1, 0, 0, 0, zero, 0) == 1)
        #expect(try h.call("KeReadStateEvent", b) == 0)
        // More than THREAD_WAIT_OBJECTS without a wait block array: bug check 0xC.
        #expect { try h.call("KeWaitForMultipleObjects", 4, array, 1, 0, 0, 0, zero, 0) } throws: {
            if case .bugCheck(0xC, _, _)? = $0 as? KernelStop { return true }
            return false
        }
    }

    @Test func zwEventsWorkThroughHandles() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8), previous = try h.buffer(4)
        #expect(try h.call("ZwCreateEvent", out, 0x1F0003, 0, 1, 0) == 0)
        let handle = try h.kernel.readU64(out)
        #expect(h.kernel.handles.lookup(handle)?.kind == "Event")
        #expect(try h.call("ZwSetEvent", handle, previous) == 0)
        #expect(try h.kernel.readU32(previous) == 0)
        #expect(try h.call("ZwWaitForSingleObject", handle, 0, 0) == 0)
        #expect(try h.call("ZwWaitForSingleObject", handle, 0, relative(h, ms: 5)) == Self.timeout)
        #expect(try h.call("ZwSetEvent", 0x7FFC, 0) == 0xC000_0008)
        #expect { try h.call("ZwWaitForSingleObject", handle, 0, 0) } throws: { isUnsatisfiable($0, mentioning: "ZwWaitForSingleObject") }
    }

    @Test func namedEventsAreCreatedSignalledOnceAndOpenedAfter() throws {
        let h = try KernelHarness()
        let name = try h.buffer(16), out = try h.buffer(16)
        try h.call("RtlInitUnicodeString", name, try h.wide("\\BaseNamedObjects\\Ready"))
        let event = try h.call("IoCreateNotificationEvent", name, out)
        #expect(event != 0)
        #expect(try h.call("KeReadStateEvent", event) == 1)
        try h.call("KeClearEvent", event)
        #expect(try h.call("IoCreateNotificationEvent", name, out + 8) == event) // opened, state kept
        #expect(try h.call("KeReadStateEvent", event) == 0)
        #expect(try h.kernel.readU64(out) != h.kernel.readU64(out + 8))
    }

    @Test func waitingOnTheCurrentThreadNeverEnds() throws {
        let h = try KernelHarness()
        #expect { try h.call("ZwWaitForSingleObject", UInt64.max - 1, 0, 0) } throws: { isUnsatisfiable($0, mentioning: "current thread") }
        let thread = try h.call("KeGetCurrentThread")
        #expect { try h.call("KeWaitForSingleObject", thread, 0, 0, 0, 0) } throws: { isUnsatisfiable($0, mentioning: "current thread") }
        #expect(try h.call("ZwWaitForSingleObject", UInt64.max - 1, 0, relative(h, ms: 1)) == Self.timeout)
    }

    @Test func fastMutexRaisesToApcAndIsNotRecursive() throws {
        let h = try KernelHarness()
        let mutex = try h.buffer(0x38)
        try h.call("ExInitializeFastMutex", mutex)
        #expect(try h.kernel.readU32(mutex) == 1)
        try h.call("ExAcquireFastMutex", mutex)
        #expect(try h.call("KeGetCurrentIrql") == 1)
        #expect(try h.kernel.readU32(mutex) == 0)
        #expect(try h.call("ExTryToAcquireFastMutex", mutex) == 0)
        #expect { try h.call("ExAcquireFastMutex", mutex) } throws: { isUnsatisfiable($0, mentioning: "not recursive") }
        try h.call("ExReleaseFastMutex", mutex)
        #expect(try h.call("KeGetCurrentIrql") == 0)
        #expect(try h.call("ExTryToAcquireFastMutex", mutex) == 1)
    }

    @Test func guardedMutexDeadlocksOnReacquire() throws {
        let h = try KernelHarness()
        let mutex = try h.buffer(0x38)
        try h.call("KeInitializeGuardedMutex", mutex)
        try h.call("KeAcquireGuardedMutex", mutex)
        #expect(try h.call("KeAreAllApcsDisabled") == 1)
        #expect { try h.call("KeAcquireGuardedMutex", mutex) } throws: { isUnsatisfiable($0, mentioning: "guarded mutex") }
    }

    @Test func resourceExclusiveIsRecursiveSharedUpgradeDeadlocks() throws {
        let h = try KernelHarness()
        let resource = try h.buffer(0x68)
        #expect(try h.call("ExInitializeResourceLite", resource) == 0)
        try h.call("KeEnterCriticalRegion")
        #expect(try h.call("ExAcquireResourceExclusiveLite", resource, 1) == 1)
        #expect(try h.call("ExAcquireResourceExclusiveLite", resource, 1) == 1)
        #expect(try h.call("ExAcquireResourceSharedLite", resource, 1) == 1)   // owner may take it shared
        #expect(try h.call("ExIsResourceAcquiredExclusiveLite", resource) == 1)
        #expect(try h.call("ExIsResourceAcquiredSharedLite", resource) == 3)
        for _ in 0..<3 { try h.call("ExReleaseResourceLite", resource) }
        #expect(try h.call("ExIsResourceAcquiredExclusiveLite", resource) == 0)
        #expect(try h.call("ExAcquireResourceSharedLite", resource, 1) == 1)
        #expect(try h.call("ExAcquireResourceExclusiveLite", resource, 0) == 0)  // Wait FALSE: just fails
        #expect { try h.call("ExAcquireResourceExclusiveLite", resource, 1) } throws: {
            isUnsatisfiable($0, mentioning: "held shared by the current thread")
        }
        try h.call("ExReleaseResourceLite", resource)
        #expect { try h.call("ExReleaseResourceLite", resource) } throws: {
            if case .bugCheck(0xE3, _, _)? = $0 as? KernelStop { return true }
            return false
        }
    }

    @Test func pushLocksShareButDoNotNest() throws {
        let h = try KernelHarness()
        let lock = try h.buffer(8)
        try h.call("ExInitializePushLock", lock)
        try h.call("ExAcquirePushLockSharedEx", lock, 0)
        try h.call("ExAcquirePushLockSharedEx", lock, 0)
        #expect(try h.kernel.readU64(lock) == 0x21)
        #expect { try h.call("ExAcquirePushLockExclusiveEx", lock, 0) } throws: { isUnsatisfiable($0, mentioning: "push lock") }
        try h.call("ExReleasePushLockSharedEx", lock, 0)
        try h.call("ExReleasePushLockSharedEx", lock, 0)
        #expect(try h.kernel.readU64(lock) == 0)
        try h.call("ExAcquirePushLockExclusiveEx", lock, 0)
        #expect(try h.kernel.readU64(lock) == 1)
    }

    @Test func spinLocksMoveIrqlAndDeadlockWhenHeld() throws {
        let h = try KernelHarness()
        let lock = try h.buffer(8)
        try h.call("KeInitializeSpinLock", lock)
        #expect(try h.call("KeAcquireSpinLockRaiseToDpc", lock) == 0)
        #expect(try h.call("KeGetCurrentIrql") == 2)
        #expect(try h.kernel.readU64(lock) != 0)
        #expect(try h.call("KeTestSpinLock", lock) == 0)
        #expect { try h.call("KeAcquireSpinLockAtDpcLevel", lock) } throws: { isUnsatisfiable($0, mentioning: "spin lock") }
        try h.call("KeReleaseSpinLock", lock, 0)
        #expect(try h.call("KeGetCurrentIrql") == 0)
        #expect(try h.kernel.readU64(lock) == 0)
    }

    @Test func inStackQueuedSpinLockKeepsTheOldIrqlInTheHandle() throws {
        let h = try KernelHarness()
        let lock = try h.buffer(8), handle = try h.buffer(0x18)
        #expect(try h.call("KfRaiseIrql", 1) == 0)
        try h.call("KeAcquireInStackQueuedSpinLock", lock, handle)
        #expect(try h.call("KeGetCurrentIrql") == 2)
        #expect(try h.kernel.readU8(handle + 0x10) == 1)
        #expect(try h.kernel.readU64(handle + 8) == lock)
        try h.call("KeReleaseInStackQueuedSpinLock", handle)
        #expect(try h.call("KeGetCurrentIrql") == 1)
        #expect(try h.kernel.readU64(lock) == 0)
    }

    @Test func raisingIrqlBelowTheCurrentOneIsABugCheck() throws {
        let h = try KernelHarness()
        #expect(try h.call("KfRaiseIrql", 2) == 0)
        #expect { try h.call("KfRaiseIrql", 1) } throws: {
            if case .bugCheck(0x9, _, _)? = $0 as? KernelStop { return true }
            return false
        }
        try h.call("KeLowerIrql", 0)
        #expect(try h.call("KeGetCurrentIrql") == 0)
    }

    @Test func sListPushPopFlushKeepDepthAndOrder() throws {
        let h = try KernelHarness()
        let head = try h.buffer(0x100), a = head + 0x40, b = head + 0x80
        #expect(try h.call("InterlockedPushEntrySList", head, a) == 0)
        #expect(try h.call("ExpInterlockedPushEntrySList", head, b) == a)
        #expect(try h.call("ExQueryDepthSList", head) == 2)
        #expect(try h.call("InterlockedPopEntrySList", head) == b)
        #expect(try h.call("ExQueryDepthSList", head) == 1)
        #expect(try h.call("InterlockedFlushSList", head) == a)
        #expect(try h.call("ExQueryDepthSList", head) == 0)
        #expect(try h.call("ExpInterlockedPopEntrySList", head) == 0)
    }

    @Test func interlockedListsLinkBothWaysAndCatchCorruption() throws {
        let h = try KernelHarness()
        let head = try h.buffer(0x100), a = head + 0x20, b = head + 0x40, lock = head + 0x80
        try h.kernel.writeU64(head, head)
        try h.kernel.writeU64(head + 8, head)
        #expect(try h.call("ExInterlockedInsertTailList", head, a, lock) == 0)
        #expect(try h.call("ExInterlockedInsertHeadList", head, b, lock) == a)
        #expect(try h.kernel.readU64(head) == b && h.kernel.readU64(head + 8) == a)
        #expect(try h.call("ExInterlockedRemoveHeadList", head, lock) == b)
        #expect(try h.call("ExInterlockedRemoveHeadList", head, lock) == a)
        #expect(try h.call("ExInterlockedRemoveHeadList", head, lock) == 0)
        try h.kernel.writeU64(lock, 1)
        #expect { try h.call("ExInterlockedInsertTailList", head, a, lock) } throws: { isUnsatisfiable($0, mentioning: "spin lock") }
        try h.kernel.writeU64(lock, 0)
        try h.kernel.writeU64(head + 8, b) // Blink no longer points back
        #expect { try h.call("ExInterlockedInsertTailList", head, a, lock) } throws: {
            if case .bugCheck(0x139, let p, _)? = $0 as? KernelStop { return p.first == 3 }
            return false
        }
    }
}
