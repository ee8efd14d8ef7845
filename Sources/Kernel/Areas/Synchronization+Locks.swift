import CPU

/// Locks and IRQL on the model's one CPU. Acquiring a lock that is already
/// held can never succeed when there is one thread: on Windows it is a
/// deadlock (a spin on one CPU, or a wait nobody ends), so the model ends the
/// entry point with `KernelStop.unsatisfiableWait` naming the lock. Only
/// ERESOURCE and KMUTEX are recursive; fast mutexes, guarded mutexes, push
/// locks and spin locks are not.
///
/// IRQL: the current IRQL is area state; every change is also written to CR8,
/// which inline code (KeGetCurrentIrql, KeRaiseIrql in wdm.h) uses. Unicorn
/// 2.0.1 accepts the write but reads CR8 back as 0 (no local APIC behind the
/// TPR), so inline reads see PASSIVE_LEVEL and inline writes do not reach the
/// model: the handlers are the source of truth.
final class SynchronizationState {
    var irql: UInt8 = 0
    /// KeEnterCriticalRegion depth (KernelApcDisable, counted up).
    var criticalRegion = 0
    /// KeEnterGuardedRegion depth (SpecialApcDisable, counted up).
    var guardedRegion = 0
    struct Resource {
        var exclusiveOwner: UInt64 = 0
        var exclusiveCount = 0
        var shared: [UInt64: Int] = [:]
    }
    var resources: [UInt64: Resource] = [:]
    /// KeAcquireQueuedSpinLock numbers held.
    var queuedLocks: Set<UInt64> = []
}

extension SynchronizationArea {
    static let passiveLevel: UInt8 = 0, apcLevel: UInt8 = 1, dispatchLevel: UInt8 = 2

    static func syncState(_ kernel: Kernel) -> SynchronizationState {
        kernel.state(SynchronizationState.self) { SynchronizationState() }
    }

    static let lockHandlers: [KernelExport] = irqlHandlers
         + spinLockHandlers
         + mutexHandlers
         + resourceHandlers
         + pushLockHandlers

    // MARK: IRQL and regions

    static func currentIrql(_ kernel: Kernel) -> UInt8 { syncState(kernel).irql }

    static func setIrql(_ kernel: Kernel, _ irql: UInt8) {
        syncState(kernel).irql = irql
        try? kernel.engine.write(.cr8, UInt64(irql & 0xF))
    }

    /// Raises to `irql`; returns the previous IRQL. Raising to a lower IRQL is bug check 0x9.
    static func raise(_ call: KernelCall, to irql: UInt8) throws -> UInt8 {
        let current = currentIrql(call.kernel)
        guard irql >= current, irql <= 15 else {
            throw KernelStop.bugCheck(code: 0x9, parameters: [UInt64(current), UInt64(irql), 0, 0], site: call.returnAddress)
        }
        setIrql(call.kernel, irql)
        return current
    }

    /// Lowers to `irql`. "Lowering" to a higher IRQL is a fatal error (bug check 0xA).
    static func lower(_ call: KernelCall, to irql: UInt8) throws {
        let current = currentIrql(call.kernel)
        guard irql <= current else {
            throw KernelStop.bugCheck(code: 0xA, parameters: [UInt64(irql), UInt64(current), 0, 0], site: call.returnAddress)
        }
        setIrql(call.kernel, irql)
    }

    static func enterCriticalRegion(_ call: KernelCall) {
        syncState(call.kernel).criticalRegion += 1
    }

    static func leaveCriticalRegion(_ call: KernelCall) {
        let state = syncState(call.kernel)
        if state.criticalRegion == 0 {
            call.note("KeLeaveCriticalRegion without a matching KeEnterCriticalRegion")
        } else {
            state.criticalRegion -= 1
        }
    }

    static func leaveGuardedRegion(_ call: KernelCall) {
        let state = syncState(call.kernel)
        if state.guardedRegion == 0 {
            call.note("leaving a guarded region that was not entered")
        } else {
            state.guardedRegion -= 1
        }
    }

    static let irqlHandlers: [KernelExport] = [
        .ntoskrnl("KeGetCurrentIrql") { call in UInt64(currentIrql(call.kernel)) },
        .ntoskrnl("KfRaiseIrql") { call in UInt64(try raise(call, to: UInt8(truncatingIfNeeded: call.arg(0)))) },
        .ntoskrnl("KeRaiseIrql") { call in
            let old = try raise(call, to: UInt8(truncatingIfNeeded: call.arg(0)))
            let out = try call.arg(1)
            if out != 0 { try call.kernel.writeU8(out, old) }
            return 0
        },
        .ntoskrnl("KeRaiseIrqlToDpcLevel") { call in UInt64(try raise(call, to: dispatchLevel)) },
        .ntoskrnl("KeRaiseIrqlToSynchLevel") { call in UInt64(try raise(call, to: 12)) },
        .ntoskrnl("KeLowerIrql") { call in
            try lower(call, to: UInt8(truncatingIfNeeded: call.arg(0)))
            return 0
        },
        .ntoskrnl("KfLowerIrql") { call in
            try lower(call, to: UInt8(truncatingIfNeeded: call.arg(0)))
            return 0
        },
        .ntoskrnl("KeEnterCriticalRegion") { call in
            enterCriticalRegion(call)
            return 0
        },
        .ntoskrnl("KeLeaveCriticalRegion") { call in
            leaveCriticalRegion(call)
            return 0
        },
        .ntoskrnl("KeEnterGuardedRegion") { call in
            syncState(call.kernel).guardedRegion += 1
            return 0
        },
        .ntoskrnl("KeLeaveGuardedRegion") { call in
            leaveGuardedRegion(call)
            return 0
        },
        .ntoskrnl("KeAreApcsDisabled") { call in
            let state = syncState(call.kernel)
            return state.criticalRegion > 0 || state.guardedRegion > 0 || currentIrql(call.kernel) >= apcLevel ? 1 : 0
        },
        .ntoskrnl("KeAreAllApcsDisabled") { call in
            syncState(call.kernel).guardedRegion > 0 || currentIrql(call.kernel) >= apcLevel ? 1 : 0
        },
    ]

    // MARK: Spin locks

    static func deadlock(_ call: KernelCall, _ what: String) -> KernelStop {
        let function = call.function.split(separator: "!").last.map(String.init) ?? call.function
        return .unsatisfiableWait("\(function) on \(what): deadlock")
    }

    /// Takes a KSPIN_LOCK (ULONG_PTR; nonzero = held). The holder value is the owning thread | 1.
    static func acquireSpinLock(_ call: KernelCall, _ lock: UInt64) throws {
        let kernel = call.kernel
        let value = try kernel.readU64(lock)
        guard value == 0 else {
            throw deadlock(call, "spin lock \(hex(lock)), already held (a spin lock is not recursive; one CPU spins forever)")
        }
        try kernel.writeU64(lock, currentThread(kernel) | 1)
    }

    static func releaseSpinLock(_ call: KernelCall, _ lock: UInt64) throws {
        if try call.kernel.readU64(lock) == 0 { call.note("spin lock \(hex(lock)) released while not held") }
        try call.kernel.writeU64(lock, 0)
    }

    static func noteBelowDispatch(_ call: KernelCall) {
        if currentIrql(call.kernel) < dispatchLevel { call.note("called below DISPATCH_LEVEL") }
    }

    static let spinLockHandlers: [KernelExport] = [
        .ntoskrnl("KeInitializeSpinLock") { call in
            try call.kernel.writeU64(call.arg(0), 0)
            return 0
        },
        .ntoskrnl("KeAcquireSpinLockRaiseToDpc") { try acquireRaising($0) },
        .ntoskrnl("KfAcquireSpinLock") { try acquireRaising($0) },
        .ntoskrnl("KeAcquireSpinLockForDpc") { try acquireRaising($0) },
        .ntoskrnl("KeAcquireSpinLock") { call in
            // x86 form: KeAcquireSpinLock(SpinLock, OldIrql*).
            let old = try acquireRaising(call)
            let out = try call.arg(1)
            if out != 0 { try call.kernel.writeU8(out, UInt8(truncatingIfNeeded: old)) }
            return 0
        },
        .ntoskrnl("KeReleaseSpinLock") { try releaseLowering($0) },
        .ntoskrnl("KfReleaseSpinLock") { try releaseLowering($0) },
        .ntoskrnl("KeReleaseSpinLockForDpc") { try releaseLowering($0) },
        .ntoskrnl("KeAcquireSpinLockAtDpcLevel") { call in
            noteBelowDispatch(call)
            try acquireSpinLock(call, call.arg(0))
            return 0
        },
        .ntoskrnl("KefAcquireSpinLockAtDpcLevel") { call in
            noteBelowDispatch(call)
            try acquireSpinLock(call, call.arg(0))
            return 0
        },
        .ntoskrnl("KeReleaseSpinLockFromDpcLevel") { call in
            try releaseSpinLock(call, call.arg(0))
            return 0
        },
        .ntoskrnl("KefReleaseSpinLockFromDpcLevel") { call in
            try releaseSpinLock(call, call.arg(0))
            return 0
        },
        .ntoskrnl("KeTryToAcquireSpinLockAtDpcLevel") { call in
            let lock = try call.arg(0)
            guard try call.kernel.readU64(lock) == 0 else { return 0 }
            try acquireSpinLock(call, lock)
            return 1
        },
        // TRUE when the lock is free.
        .ntoskrnl("KeTestSpinLock") { call in try call.kernel.readU64(call.arg(0)) == 0 ? 1 : 0 },
        .ntoskrnl("KeAcquireInStackQueuedSpinLock") { try acquireQueued($0, raise: true) },
        .ntoskrnl("KeAcquireInStackQueuedSpinLockForDpc") { try acquireQueued($0, raise: true) },
        .ntoskrnl("KeAcquireInStackQueuedSpinLockAtDpcLevel") { try acquireQueued($0, raise: false) },
        .ntoskrnl("KeReleaseInStackQueuedSpinLock") { try releaseQueued($0, lower: true) },
        .ntoskrnl("KeReleaseInStackQueuedSpinLockForDpc") { try releaseQueued($0, lower: true) },
        .ntoskrnl("KeReleaseInStackQueuedSpinLockFromDpcLevel") { try releaseQueued($0, lower: false) },
        .ntoskrnl("KeAcquireQueuedSpinLock") { call in
            let number = try call.arg(0)
            let old = try raise(call, to: dispatchLevel)
            guard syncState(call.kernel).queuedLocks.insert(number).inserted else {
                throw deadlock(call, "queued spin lock \(number), already held")
            }
            return UInt64(old)
        },
        .ntoskrnl("KeReleaseQueuedSpinLock") { call in
            syncState(call.kernel).queuedLocks.remove(try call.arg(0))
            try lower(call, to: UInt8(truncatingIfNeeded: call.arg(1)))
            return 0
        },
        // Executive spin locks (EX_SPIN_LOCK, a LONG): bit 31 exclusive, low bits the share count.
        .ntoskrnl("ExAcquireSpinLockExclusive") { call in
            let old = try raise(call, to: dispatchLevel)
            try acquireExSpinLock(call, exclusive: true)
            return UInt64(old)
        },
        .ntoskrnl("ExAcquireSpinLockExclusiveAtDpcLevel") { call in
            try acquireExSpinLock(call, exclusive: true)
            return 0
        },
        .ntoskrnl("ExAcquireSpinLockShared") { call in
            let old = try raise(call, to: dispatchLevel)
            try acquireExSpinLock(call, exclusive: false)
            return UInt64(old)
        },
        .ntoskrnl("ExAcquireSpinLockSharedAtDpcLevel") { call in
            try acquireExSpinLock(call, exclusive: false)
            return 0
        },
        .ntoskrnl("ExReleaseSpinLockExclusive") { call in
            try releaseExSpinLock(call, exclusive: true)
            try lower(call, to: UInt8(truncatingIfNeeded: call.arg(1)))
            return 0
        },
        .ntoskrnl("ExReleaseSpinLockExclusiveFromDpcLevel") { call in
            try releaseExSpinLock(call, exclusive: true)
            return 0
        },
        .ntoskrnl("ExReleaseSpinLockShared") { call in
            try releaseExSpinLock(call, exclusive: false)
            try lower(call, to: UInt8(truncatingIfNeeded: call.arg(1)))
            return 0
        },
        .ntoskrnl("ExReleaseSpinLockSharedFromDpcLevel") { call in
            try releaseExSpinLock(call, exclusive: false)
            return 0
        },
        .ntoskrnl("ExTryConvertSharedSpinLockExclusive") { call in
            let lock = try call.arg(0)
            guard try call.kernel.readU32(lock) == 1 else { return 0 }
            try call.kernel.writeU32(lock, 0x8000_0000)
            return 1
        },
        .ntoskrnl("ExTryAcquireSpinLockExclusiveAtDpcLevel") { call in
            let lock = try call.arg(0)
            guard try call.kernel.readU32(lock) == 0 else { return 0 }
            try call.kernel.writeU32(lock, 0x8000_0000)
            return 1
        },
        .ntoskrnl("ExTryAcquireSpinLockSharedAtDpcLevel") { call in
            let lock = try call.arg(0), value = try call.kernel.readU32(lock)
            guard value & 0x8000_0000 == 0, value < 0x7FFF_FFFF else { return 0 }
            try call.kernel.writeU32(lock, value + 1)
            return 1
        },
    ]

    /// KeAcquireSpinLockRaiseToDpc(SpinLock): raises to DISPATCH_LEVEL, returns the old IRQL.
    @discardableResult
    static func acquireRaising(_ call: KernelCall) throws -> UInt64 {
        let lock = try call.arg(0)
        let old = try raise(call, to: dispatchLevel)
        try acquireSpinLock(call, lock)
        return UInt64(old)
    }

    /// KeReleaseSpinLock(SpinLock, NewIrql).
    static func releaseLowering(_ call: KernelCall) throws -> UInt64 {
        try releaseSpinLock(call, call.arg(0))
        try lower(call, to: UInt8(truncatingIfNeeded: call.arg(1)))
        return 0
    }

    /// KeAcquireInStackQueuedSpinLock(SpinLock, LockHandle): the lock holds the queue tail
    /// (the handle's KSPIN_LOCK_QUEUE); the handle keeps the lock and the old IRQL.
    static func acquireQueued(_ call: KernelCall, raise raising: Bool) throws -> UInt64 {
        typealias Q = Layout.Dispatcher.KLockQueueHandle
        let kernel = call.kernel, lock = try call.arg(0), handle = try call.arg(1)
        let old = raising ? try raise(call, to: dispatchLevel) : currentIrql(kernel)
        if !raising { noteBelowDispatch(call) }
        guard try kernel.readU64(lock) == 0 else {
            throw deadlock(call, "queued spin lock \(hex(lock)), already held (not recursive)")
        }
        try kernel.writeU64(handle &+ UInt64(Q.next), 0)
        try kernel.writeU64(handle &+ UInt64(Q.lock), lock)
        try kernel.writeU8(handle &+ UInt64(Q.oldIrql), old)
        try kernel.writeU64(lock, handle)
        return 0
    }

    /// KeReleaseInStackQueuedSpinLock(LockHandle).
    static func releaseQueued(_ call: KernelCall, lower lowering: Bool) throws -> UInt64 {
        typealias Q = Layout.Dispatcher.KLockQueueHandle
        let kernel = call.kernel, handle = try call.arg(0)
        let lock = try kernel.readU64(handle &+ UInt64(Q.lock)) & ~3
        if lock != 0 {
            let tail = try kernel.readU64(lock)
            if tail == 0 { call.note("queued spin lock \(hex(lock)) released while not held") }
            try kernel.writeU64(lock, 0)
        }
        if lowering { try lower(call, to: kernel.readU8(handle &+ UInt64(Q.oldIrql))) }
        return 0
    }

    static func acquireExSpinLock(_ call: KernelCall, exclusive: Bool) throws {
        let kernel = call.kernel, lock = try call.arg(0), value = try kernel.readU32(lock)
        if exclusive {
            guard value == 0 else {
                throw deadlock(call, "executive spin lock \(hex(lock)), already held " + (value & 0x8000_0000 != 0 ? "exclusive" : "shared"))
            }
            try kernel.writeU32(lock, 0x8000_0000)
        } else {
            guard value & 0x8000_0000 == 0 else { throw deadlock(call, "executive spin lock \(hex(lock)), held exclusive") }
            guard value < 0x7FFF_FFFF else { throw deadlock(call, "executive spin lock \(hex(lock)), share count overflow") }
            try kernel.writeU32(lock, value + 1)
        }
    }

    static func releaseExSpinLock(_ call: KernelCall, exclusive: Bool) throws {
        let kernel = call.kernel, lock = try call.arg(0), value = try kernel.readU32(lock)
        if exclusive {
            if value & 0x8000_0000 == 0 { call.note("executive spin lock \(hex(lock)) released exclusive while not held so") }
            try kernel.writeU32(lock, 0)
        } else {
            let shares = value & 0x7FFF_FFFF
            if shares == 0 { call.note("executive spin lock \(hex(lock)) released shared while not held") }
            try kernel.writeU32(lock, shares == 0 ? 0 : shares - 1)
        }
    }

    // MARK: Fast and guarded mutexes

    /// FAST_MUTEX / KGUARDED_MUTEX initialisation: Count = lock bit (free), no owner, its event.
    static func initializeFastMutex(_ kernel: Kernel, _ mutex: UInt64, gate: Bool) throws {
        typealias F = Layout.Dispatcher.FastMutex
        try kernel.writeU32(mutex &+ UInt64(F.count), F.lockBit)
        try kernel.writeU32(mutex &+ 4, 0)
        try kernel.writeU64(mutex &+ UInt64(F.owner), 0)
        try kernel.writeU32(mutex &+ UInt64(F.contention), 0)
        try kernel.writeU32(mutex &+ 0x14, 0)
        try writeHeader(kernel, mutex &+ UInt64(F.event), type: gate ? Layout.Dispatcher.Header.gate : Layout.Dispatcher.Header.eventSynchronization,
                        size: Layout.Dispatcher.Event.totalSize, signal: 0)
        try kernel.writeU32(mutex &+ UInt64(F.oldIrql), 0)
    }

    /// Takes a fast/guarded mutex; `wait` false: returns false instead of deadlocking.
    static func acquireFastMutex(_ call: KernelCall, _ mutex: UInt64, kind: String, wait: Bool) throws -> Bool {
        typealias F = Layout.Dispatcher.FastMutex
        let kernel = call.kernel
        let count = try kernel.readU32(mutex &+ UInt64(F.count))
        guard count & F.lockBit != 0 else {
            guard wait else { return false }
            let owner = try kernel.readU64(mutex &+ UInt64(F.owner))
            let who = owner == currentThread(kernel)
                ? "already held by the current thread (\(kind)es are not recursive)"
                : "held by thread \(hex(owner))"
            throw deadlock(call, "\(kind) \(hex(mutex)), \(who)")
        }
        try kernel.writeU32(mutex &+ UInt64(F.count), count & ~F.lockBit)
        try kernel.writeU64(mutex &+ UInt64(F.owner), currentThread(kernel))
        return true
    }

    static func releaseFastMutex(_ call: KernelCall, _ mutex: UInt64, kind: String) throws {
        typealias F = Layout.Dispatcher.FastMutex
        let kernel = call.kernel
        let count = try kernel.readU32(mutex &+ UInt64(F.count))
        if count & F.lockBit != 0 { call.note("\(kind) \(hex(mutex)) released while not held") }
        try kernel.writeU64(mutex &+ UInt64(F.owner), 0)
        try kernel.writeU32(mutex &+ UInt64(F.count), count | F.lockBit)
    }

    static let mutexHandlers: [KernelExport] = [
        .ntoskrnl("ExInitializeFastMutex") { call in
            try initializeFastMutex(call.kernel, call.arg(0), gate: false)
            return 0
        },
        // ExAcquireFastMutex raises to APC_LEVEL and keeps the old IRQL in the mutex.
        .ntoskrnl("ExAcquireFastMutex") { call in
            let mutex = try call.arg(0)
            let old = try raise(call, to: apcLevel)
            _ = try acquireFastMutex(call, mutex, kind: "fast mutex", wait: true)
            try call.kernel.writeU32(mutex &+ UInt64(Layout.Dispatcher.FastMutex.oldIrql), UInt32(old))
            return 0
        },
        .ntoskrnl("ExTryToAcquireFastMutex") { call in
            let mutex = try call.arg(0)
            let current = currentIrql(call.kernel)
            guard try acquireFastMutex(call, mutex, kind: "fast mutex", wait: false) else { return 0 }
            _ = try raise(call, to: max(current, apcLevel))
            try call.kernel.writeU32(mutex &+ UInt64(Layout.Dispatcher.FastMutex.oldIrql), UInt32(current))
            return 1
        },
        .ntoskrnl("ExReleaseFastMutex") { call in
            let mutex = try call.arg(0)
            try releaseFastMutex(call, mutex, kind: "fast mutex")
            let old = try call.kernel.readU32(mutex &+ UInt64(Layout.Dispatcher.FastMutex.oldIrql))
            try lower(call, to: UInt8(truncatingIfNeeded: old))
            return 0
        },
        .ntoskrnl("ExAcquireFastMutexUnsafe") { call in
            _ = try acquireFastMutex(call, call.arg(0), kind: "fast mutex", wait: true)
            return 0
        },
        .ntoskrnl("ExReleaseFastMutexUnsafe") { call in
            try releaseFastMutex(call, call.arg(0), kind: "fast mutex")
            return 0
        },
        .ntoskrnl("KeInitializeGuardedMutex") { call in
            try initializeFastMutex(call.kernel, call.arg(0), gate: true)
            return 0
        },
        // Guarded mutexes enter a guarded region instead of raising IRQL.
        .ntoskrnl("KeAcquireGuardedMutex") { call in
            let mutex = try call.arg(0)
            syncState(call.kernel).guardedRegion += 1
            _ = try acquireFastMutex(call, mutex, kind: "guarded mutex", wait: true)
            return 0
        },
        .ntoskrnl("KeTryToAcquireGuardedMutex") { call in
            let mutex = try call.arg(0)
            guard try acquireFastMutex(call, mutex, kind: "guarded mutex", wait: false) else { return 0 }
            syncState(call.kernel).guardedRegion += 1
            return 1
        },
        .ntoskrnl("KeReleaseGuardedMutex") { call in
            try releaseFastMutex(call, call.arg(0), kind: "guarded mutex")
            leaveGuardedRegion(call)
            return 0
        },
        .ntoskrnl("KeAcquireGuardedMutexUnsafe") { call in
            _ = try acquireFastMutex(call, call.arg(0), kind: "guarded mutex", wait: true)
            return 0
        },
        .ntoskrnl("KeReleaseGuardedMutexUnsafe") { call in
            try releaseFastMutex(call, call.arg(0), kind: "guarded mutex")
            return 0
        },
    ]

    // MARK: ERESOURCE

    static func resource(_ call: KernelCall, _ address: UInt64) -> SynchronizationState.Resource {
        let state = syncState(call.kernel)
        if let existing = state.resources[address] { return existing }
        call.note("ERESOURCE \(hex(address)) was not initialised with ExInitializeResourceLite")
        return .init()
    }

    /// Mirrors ownership into the ERESOURCE fields a debugger (or a curious driver) reads.
    static func store(_ call: KernelCall, _ address: UInt64, _ value: SynchronizationState.Resource) throws {
        typealias R = Layout.Dispatcher.EResource
        let kernel = call.kernel
        syncState(kernel).resources[address] = value
        let exclusive = value.exclusiveCount > 0
        let sharedOwners = value.shared.filter { $0.value > 0 }
        let active = exclusive ? 1 : sharedOwners.count
        try kernel.writeU16(address &+ UInt64(R.activeCount), UInt16(clamping: active))
        try kernel.writeU16(address &+ UInt64(R.flag), exclusive ? R.ownedExclusive : 0)
        let (owner, count) = exclusive ? (value.exclusiveOwner, value.exclusiveCount)
            : (sharedOwners.first?.key ?? 0, sharedOwners.first?.value ?? 0)
        try kernel.writeU64(address &+ UInt64(R.ownerThread), owner)
        try kernel.writeU32(address &+ UInt64(R.ownerCount), UInt32(clamping: count))
        try kernel.writeU32(address &+ UInt64(R.activeEntries), UInt32(clamping: active))
    }

    /// ExAcquireResourceExclusiveLite(Resource, Wait) → BOOLEAN.
    static func acquireExclusive(_ call: KernelCall, _ address: UInt64, wait: Bool) throws -> Bool {
        var value = resource(call, address)
        let thread = currentThread(call.kernel)
        if value.exclusiveCount > 0, value.exclusiveOwner == thread {
            value.exclusiveCount += 1
        } else if value.exclusiveCount == 0, value.shared.values.allSatisfy({ $0 == 0 }) {
            value.exclusiveOwner = thread
            value.exclusiveCount = 1
        } else {
            guard wait else { return false }
            let why = value.exclusiveCount > 0 ? "held exclusive by thread \(hex(value.exclusiveOwner))"
                : (value.shared[thread] ?? 0) > 0 ? "held shared by the current thread (shared cannot be upgraded to exclusive)"
                : "held shared by another thread"
            throw deadlock(call, "ERESOURCE \(hex(address)), \(why)")
        }
        try store(call, address, value)
        return true
    }

    /// ExAcquireResourceSharedLite(Resource, Wait) → BOOLEAN. The exclusive owner gets it too.
    static func acquireShared(_ call: KernelCall, _ address: UInt64, wait: Bool) throws -> Bool {
        var value = resource(call, address)
        let thread = currentThread(call.kernel)
        if value.exclusiveCount > 0 {
            guard value.exclusiveOwner == thread else {
                guard wait else { return false }
                throw deadlock(call, "ERESOURCE \(hex(address)), held exclusive by thread \(hex(value.exclusiveOwner))")
            }
            value.exclusiveCount += 1
        } else {
            value.shared[thread, default: 0] += 1
        }
        try store(call, address, value)
        return true
    }

    /// ExReleaseResourceLite / ExReleaseResourceForThreadLite; releasing an unowned resource is
    /// bug check 0xE3 RESOURCE_NOT_OWNED.
    static func releaseResource(_ call: KernelCall, _ address: UInt64, thread: UInt64) throws {
        var value = resource(call, address)
        if value.exclusiveCount > 0 {
            value.exclusiveCount -= 1
            if value.exclusiveCount == 0 { value.exclusiveOwner = 0 }
        } else if let count = value.shared[thread], count > 0 {
            value.shared[thread] = count > 1 ? count - 1 : nil
        } else {
            throw KernelStop.bugCheck(code: 0xE3, parameters: [address, thread, 0, 2], site: call.returnAddress)
        }
        try store(call, address, value)
    }

    static let resourceHandlers: [KernelExport] = [
        .ntoskrnl("ExInitializeResourceLite") { try initializeResource($0) },
        .ntoskrnl("ExReinitializeResourceLite") { try initializeResource($0) },
        .ntoskrnl("ExDeleteResourceLite") { call in
            let address = try call.arg(0)
            if let value = syncState(call.kernel).resources.removeValue(forKey: address),
               value.exclusiveCount > 0 || value.shared.values.contains(where: { $0 > 0 }) {
                call.note("ERESOURCE \(hex(address)) deleted while owned")
            }
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("ExAcquireResourceExclusiveLite") { call in
            try acquireExclusive(call, call.arg(0), wait: call.arg(1) & 0xFF != 0) ? 1 : 0
        },
        .ntoskrnl("ExTryToAcquireResourceExclusiveLite") { call in try acquireExclusive(call, call.arg(0), wait: false) ? 1 : 0 },
        .ntoskrnl("ExAcquireResourceSharedLite") { call in try acquireShared(call, call.arg(0), wait: call.arg(1) & 0xFF != 0) ? 1 : 0 },
        .ntoskrnl("ExAcquireSharedStarveExclusive") { call in try acquireShared(call, call.arg(0), wait: call.arg(1) & 0xFF != 0) ? 1 : 0 },
        .ntoskrnl("ExAcquireSharedWaitForExclusive") { call in try acquireShared(call, call.arg(0), wait: call.arg(1) & 0xFF != 0) ? 1 : 0 },
        .ntoskrnl("ExReleaseResourceLite") { call in
            try releaseResource(call, call.arg(0), thread: currentThread(call.kernel))
            return 0
        },
        .ntoskrnl("ExReleaseResourceForThreadLite") { call in
            try releaseResource(call, call.arg(0), thread: call.arg(1))
            return 0
        },
        .ntoskrnl("ExIsResourceAcquiredExclusiveLite") { call in
            let value = syncState(call.kernel).resources[try call.arg(0)] ?? .init()
            return value.exclusiveCount > 0 && value.exclusiveOwner == currentThread(call.kernel) ? 1 : 0
        },
        // The number of times the current thread holds the resource (shared or exclusive).
        .ntoskrnl("ExIsResourceAcquiredSharedLite") { call in
            let value = syncState(call.kernel).resources[try call.arg(0)] ?? .init()
            let thread = currentThread(call.kernel)
            if value.exclusiveCount > 0 { return value.exclusiveOwner == thread ? UInt64(value.exclusiveCount) : 0 }
            return UInt64(value.shared[thread] ?? 0)
        },
        .ntoskrnl("ExConvertExclusiveToSharedLite") { call in
            let address = try call.arg(0)
            var value = resource(call, address)
            guard value.exclusiveCount > 0 else { return 0 }
            value.shared[value.exclusiveOwner, default: 0] += value.exclusiveCount
            value.exclusiveCount = 0
            value.exclusiveOwner = 0
            try store(call, address, value)
            return 0
        },
        .ntoskrnl("ExGetExclusiveWaiterCount") { _ in 0 }.stub("one thread: nobody ever waits"),
        .ntoskrnl("ExGetSharedWaiterCount") { _ in 0 }.stub("one thread: nobody ever waits"),
        // These return the current thread's Win32Thread: NULL for a system thread.
        .ntoskrnl("ExEnterCriticalRegionAndAcquireResourceExclusive") { call in
            enterCriticalRegion(call)
            _ = try acquireExclusive(call, call.arg(0), wait: true)
            return 0
        },
        .ntoskrnl("ExEnterCriticalRegionAndAcquireResourceShared") { call in
            enterCriticalRegion(call)
            _ = try acquireShared(call, call.arg(0), wait: true)
            return 0
        },
        .ntoskrnl("ExEnterCriticalRegionAndAcquireSharedWaitForExclusive") { call in
            enterCriticalRegion(call)
            _ = try acquireShared(call, call.arg(0), wait: true)
            return 0
        },
        .ntoskrnl("ExReleaseResourceAndLeaveCriticalRegion") { call in
            try releaseResource(call, call.arg(0), thread: currentThread(call.kernel))
            leaveCriticalRegion(call)
            return 0
        },
    ]

    static func initializeResource(_ call: KernelCall) throws -> UInt64 {
        let address = try call.arg(0)
        guard address & 7 == 0 else {
            call.note("ERESOURCE \(hex(address)) is not 8-byte aligned")
            return UInt64(NTStatus.invalidParameter)
        }
        try call.kernel.fill(address, count: Layout.Dispatcher.EResource.totalSize)
        try store(call, address, .init())
        return UInt64(NTStatus.success)
    }

    // MARK: Push locks

    /// EX_PUSH_LOCK: bit 0 locked, bits 4… the share count (0 with bit 0 = exclusive).
    static func acquirePushLock(_ call: KernelCall, exclusive: Bool, wait: Bool = true) throws -> Bool {
        let kernel = call.kernel, lock = try call.arg(0), value = try kernel.readU64(lock)
        let shares = value >> 4
        if exclusive {
            guard value == 0 else {
                guard wait else { return false }
                throw deadlock(call, "push lock \(hex(lock)), already held " + (shares > 0 ? "shared" : "exclusive") + " (not recursive)")
            }
            try kernel.writeU64(lock, 1)
        } else {
            guard value & 1 == 0 || shares > 0 else {
                guard wait else { return false }
                throw deadlock(call, "push lock \(hex(lock)), held exclusive")
            }
            guard shares < (1 << 59) else { throw deadlock(call, "push lock \(hex(lock)), share count overflow") }
            try kernel.writeU64(lock, (shares + 1) << 4 | 1)
        }
        return true
    }

    static func releasePushLock(_ call: KernelCall, exclusive: Bool?) throws -> UInt64 {
        let kernel = call.kernel, lock = try call.arg(0), value = try kernel.readU64(lock)
        let shares = value >> 4
        let releaseShared = exclusive.map { !$0 } ?? (shares > 0)
        if releaseShared {
            if shares == 0 { call.note("push lock \(hex(lock)) released shared while not held shared") }
            try kernel.writeU64(lock, shares > 1 ? (shares - 1) << 4 | 1 : 0)
        } else {
            if value != 1 { call.note("push lock \(hex(lock)) released exclusive while not held exclusive") }
            try kernel.writeU64(lock, 0)
        }
        return 0
    }

    static let pushLockHandlers: [KernelExport] = [
        .ntoskrnl("ExInitializePushLock") { call in
            try call.kernel.writeU64(call.arg(0), 0)
            return 0
        },
        .ntoskrnl("ExAcquirePushLockExclusiveEx") { call in _ = try acquirePushLock(call, exclusive: true); return 0 },
        .ntoskrnl("ExfAcquirePushLockExclusive") { call in _ = try acquirePushLock(call, exclusive: true); return 0 },
        .ntoskrnl("ExAcquirePushLockSharedEx") { call in _ = try acquirePushLock(call, exclusive: false); return 0 },
        .ntoskrnl("ExfAcquirePushLockShared") { call in _ = try acquirePushLock(call, exclusive: false); return 0 },
        .ntoskrnl("ExTryAcquirePushLockExclusiveEx") { call in try acquirePushLock(call, exclusive: true, wait: false) ? 1 : 0 },
        .ntoskrnl("ExTryAcquirePushLockSharedEx") { call in try acquirePushLock(call, exclusive: false, wait: false) ? 1 : 0 },
        .ntoskrnl("ExReleasePushLockExclusiveEx") { try releasePushLock($0, exclusive: true) },
        .ntoskrnl("ExfReleasePushLockExclusive") { try releasePushLock($0, exclusive: true) },
        .ntoskrnl("ExReleasePushLockSharedEx") { try releasePushLock($0, exclusive: false) },
        .ntoskrnl("ExfReleasePushLockShared") { try releasePushLock($0, exclusive: false) },
        .ntoskrnl("ExReleasePushLockEx") { try releasePushLock($0, exclusive: nil) },
        .ntoskrnl("ExfReleasePushLock") { try releasePushLock($0, exclusive: nil) },
        // Nobody waits on a push lock in a one-thread model.
        .ntoskrnl("ExfUnblockPushLock") { _ in 0 }.stub("one thread: nobody ever waits on a push lock"),
        .ntoskrnl("ExfTryToWakePushLock") { _ in 0 }.stub("one thread: nobody ever waits on a push lock"),
    ]
}
