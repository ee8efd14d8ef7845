/// Processor, thread and process queries, affinity and priority, and the
/// interlocked helpers (SLISTs, spin-lock-protected lists, interlocked
/// arithmetic). One CPU (processor 0, group 0), the System process.
///
/// IRQL and spin locks are in Synchronization+Locks.swift, time in Time.swift.
enum ExecutiveArea {
    static let handlers: [KernelExport] = queryHandlers
         + affinityHandlers
         + interlockedHandlers

    static func thread(_ kernel: Kernel) -> UInt64 { SynchronizationArea.currentThread(kernel) }

    static let queryHandlers: [KernelExport] = [
        .ntoskrnl("KeGetCurrentThread") { call in thread(call.kernel) },
        .ntoskrnl("PsGetCurrentThread") { call in thread(call.kernel) },
        .ntoskrnl("IoGetCurrentProcess") { call in call.kernel.processor.process },
        .ntoskrnl("PsGetCurrentProcess") { call in call.kernel.processor.process },
        .ntoskrnl("PsGetCurrentProcessId") { _ in 4 },
        .ntoskrnl("PsGetCurrentThreadId") { call in DeferredArea.systemThreadId(call.kernel, thread: thread(call.kernel)) ?? 8 },
        .ntoskrnl("ExGetPreviousMode") { _ in 0 },
        .ntoskrnl("KeGetPreviousMode") { _ in 0 },
        .ntoskrnl("ExGetCurrentResourceThread") { call in thread(call.kernel) },
        // Priorities: system threads start at 8 (LOW_REALTIME_PRIORITY is 16).
        .ntoskrnl("KeSetPriorityThread") { call in
            let target = try call.arg(0), priority = Int32(bitPattern: try call.arg32(1))
            let state = executiveState(call.kernel)
            let old = state.priorities[target] ?? defaultPriority
            if (0...31).contains(priority) {
                state.priorities[target] = priority
            } else {
                call.note("priority \(priority) outside 0…31")
            }
            return UInt64(UInt32(bitPattern: old))
        },
        .ntoskrnl("KeQueryPriorityThread") { call in
            UInt64(UInt32(bitPattern: executiveState(call.kernel).priorities[try call.arg(0)] ?? defaultPriority))
        },
        .ntoskrnl("KeSetBasePriorityThread") { call in
            let target = try call.arg(0), increment = Int32(bitPattern: try call.arg32(1))
            let state = executiveState(call.kernel)
            let old = state.baseIncrements[target] ?? 0
            state.baseIncrements[target] = increment
            return UInt64(UInt32(bitPattern: old))
        },
        .ntoskrnl("KeSetIdealProcessorThread") { _ in 0 }.stub("one CPU: there is no other processor to prefer"),
        .ntoskrnl("KeQueryBasePriorityThread") { call in
            UInt64(UInt32(bitPattern: executiveState(call.kernel).baseIncrements[try call.arg(0)] ?? 0))
        },
    ]

    static let defaultPriority: Int32 = 8

    final class State {
        var priorities: [UInt64: Int32] = [:]
        var baseIncrements: [UInt64: Int32] = [:]
        /// The system affinity set with KeSetSystemAffinityThread(Ex); 0 = the thread's user affinity.
        var systemAffinity: UInt64 = 0
    }

    static func executiveState(_ kernel: Kernel) -> State { kernel.state(State.self) { State() } }

    // MARK: Processors and affinity

    static let affinityHandlers: [KernelExport] = [
        .ntoskrnl("KeQueryActiveProcessors") { _ in 1 },
        .ntoskrnl("KeQueryActiveProcessorCount") { call in
            let out = try call.arg(0)
            if out != 0 { try call.kernel.writeU64(out, 1) }
            return 1
        },
        .ntoskrnl("KeQueryActiveProcessorCountEx") { call in groupCount(try call.arg32(0)) },
        .ntoskrnl("KeQueryMaximumProcessorCount") { _ in 1 },
        .ntoskrnl("KeQueryMaximumProcessorCountEx") { call in groupCount(try call.arg32(0)) },
        .ntoskrnl("KeQueryActiveGroupCount") { _ in 1 },
        .ntoskrnl("KeQueryMaximumGroupCount") { _ in 1 },
        .ntoskrnl("KeQueryGroupAffinity") { call in try call.arg32(0) & 0xFFFF == 0 ? 1 : 0 },
        .ntoskrnl("KeGetCurrentProcessorNumber") { _ in 0 },
        .ntoskrnl("KeGetCurrentProcessorNumberEx") { call in
            let out = try call.arg(0)
            if out != 0 { try call.kernel.writeU32(out, 0) }
            return 0
        },
        .ntoskrnl("KeGetCurrentNodeNumber") { _ in 0 },
        .ntoskrnl("KeGetProcessorNumberFromIndex") { call in
            guard try call.arg32(0) == 0 else { return UInt64(NTStatus.invalidParameter) }
            try call.kernel.writeU32(call.arg(1), 0)
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("KeGetProcessorIndexFromNumber") { call in
            let number = try call.arg(0)
            let group = try call.kernel.readU16(number), index = try call.kernel.readU8(number &+ 2)
            return group == 0 && index == 0 ? 0 : 0xFFFF_FFFF // INVALID_PROCESSOR_INDEX
        },
        .ntoskrnl("KeSetSystemAffinityThread") { call in
            try setAffinity(call, call.arg(0))
            return 0
        },
        .ntoskrnl("KeSetSystemAffinityThreadEx") { call in
            let old = executiveState(call.kernel).systemAffinity
            try setAffinity(call, call.arg(0))
            return old
        },
        .ntoskrnl("KeRevertToUserAffinityThread") { call in
            executiveState(call.kernel).systemAffinity = 0
            return 0
        },
        .ntoskrnl("KeRevertToUserAffinityThreadEx") { call in
            executiveState(call.kernel).systemAffinity = try call.arg(0)
            return 0
        },
        // KeSetSystemGroupAffinityThread(Affinity, PreviousAffinity) with GROUP_AFFINITY.
        .ntoskrnl("KeSetSystemGroupAffinityThread") { call in
            typealias G = Layout.Dispatcher.GroupAffinity
            let kernel = call.kernel, affinity = try call.arg(0), previous = try call.arg(1)
            let state = executiveState(kernel)
            if previous != 0 {
                try kernel.fill(previous, count: G.totalSize)
                try kernel.writeU64(previous &+ UInt64(G.mask), state.systemAffinity)
            }
            let mask = try kernel.readU64(affinity &+ UInt64(G.mask)), group = try kernel.readU16(affinity &+ UInt64(G.group))
            if group != 0 || mask & 1 == 0 { call.note("affinity names no processor of the model (one CPU, group 0)") }
            state.systemAffinity = mask
            return 0
        },
        .ntoskrnl("KeRevertToUserGroupAffinityThread") { call in
            let previous = try call.arg(0)
            executiveState(call.kernel).systemAffinity = try call.kernel.readU64(previous)
            return 0
        },
    ]

    static func groupCount(_ group: UInt32) -> UInt64 {
        let group = group & 0xFFFF
        return group == 0 || group == 0xFFFF ? 1 : 0 // ALL_PROCESSOR_GROUPS is 0xFFFF
    }

    static func setAffinity(_ call: KernelCall, _ affinity: UInt64) throws {
        if affinity & 1 == 0 { call.note("affinity 0x\(String(affinity, radix: 16)) names no processor of the model (one CPU)") }
        executiveState(call.kernel).systemAffinity = affinity
    }

    // MARK: Interlocked helpers

    static let interlockedHandlers: [KernelExport] = [
        .ntoskrnl("InterlockedPushEntrySList") { call in try pushSList(call.kernel, head: call.arg(0), entry: call.arg(1), call) },
        .ntoskrnl("ExpInterlockedPushEntrySList") { call in try pushSList(call.kernel, head: call.arg(0), entry: call.arg(1), call) },
        .ntoskrnl("ExInterlockedPushEntrySList") { call in try pushSList(call.kernel, head: call.arg(0), entry: call.arg(1), call) },
        .ntoskrnl("InterlockedPopEntrySList") { call in try popSList(call.kernel, head: call.arg(0)) },
        .ntoskrnl("ExpInterlockedPopEntrySList") { call in try popSList(call.kernel, head: call.arg(0)) },
        .ntoskrnl("ExInterlockedPopEntrySList") { call in try popSList(call.kernel, head: call.arg(0)) },
        .ntoskrnl("InterlockedFlushSList") { call in try flushSList(call.kernel, head: call.arg(0)) },
        .ntoskrnl("ExpInterlockedFlushSList") { call in try flushSList(call.kernel, head: call.arg(0)) },
        .ntoskrnl("ExQueryDepthSList") { call in try call.kernel.readU64(call.arg(0)) & 0xFFFF },
        .ntoskrnl("RtlFirstEntrySList") { call in try call.kernel.readU64(call.arg(0) &+ 8) & ~0xF },
        // Doubly-linked lists guarded by a spin lock (which must not be held by the caller).
        .ntoskrnl("ExInterlockedInsertHeadList") { try insertList($0, tail: false) },
        .ntoskrnl("ExfInterlockedInsertHeadList") { try insertList($0, tail: false) },
        .ntoskrnl("ExInterlockedInsertTailList") { try insertList($0, tail: true) },
        .ntoskrnl("ExfInterlockedInsertTailList") { try insertList($0, tail: true) },
        .ntoskrnl("ExInterlockedRemoveHeadList") { try removeHeadList($0) },
        .ntoskrnl("ExfInterlockedRemoveHeadList") { try removeHeadList($0) },
        .ntoskrnl("ExInterlockedPushEntryList") { try pushEntryList($0) },
        .ntoskrnl("ExfInterlockedPushEntryList") { try pushEntryList($0) },
        .ntoskrnl("ExInterlockedPopEntryList") { try popEntryList($0) },
        .ntoskrnl("ExfInterlockedPopEntryList") { try popEntryList($0) },
        // Interlocked arithmetic (exported on x86; harmless to model everywhere).
        .ntoskrnl("InterlockedIncrement") { call in
            let address = try call.arg(0), value = try call.kernel.readU32(address) &+ 1
            try call.kernel.writeU32(address, value)
            return UInt64(value)
        },
        .ntoskrnl("InterlockedDecrement") { call in
            let address = try call.arg(0), value = try call.kernel.readU32(address) &- 1
            try call.kernel.writeU32(address, value)
            return UInt64(value)
        },
        .ntoskrnl("InterlockedExchange") { call in
            let address = try call.arg(0), old = try call.kernel.readU32(address)
            try call.kernel.writeU32(address, call.arg32(1))
            return UInt64(old)
        },
        .ntoskrnl("InterlockedExchangeAdd") { call in
            let address = try call.arg(0), old = try call.kernel.readU32(address)
            try call.kernel.writeU32(address, old &+ call.arg32(1))
            return UInt64(old)
        },
        .ntoskrnl("InterlockedCompareExchange") { call in
            let address = try call.arg(0), old = try call.kernel.readU32(address)
            if old == (try call.arg32(2)) { try call.kernel.writeU32(address, call.arg32(1)) }
            return UInt64(old)
        },
        // ExInterlockedAddUlong(Addend, Increment, Lock) → the initial value.
        .ntoskrnl("ExInterlockedAddUlong") { call in
            try checkLock(call, call.arg(2))
            let address = try call.arg(0), old = try call.kernel.readU32(address)
            try call.kernel.writeU32(address, old &+ call.arg32(1))
            return UInt64(old)
        },
        // ExInterlockedAddLargeInteger(Addend, Increment (by value), Lock) → the initial value.
        .ntoskrnl("ExInterlockedAddLargeInteger") { call in
            try checkLock(call, call.arg(2))
            let address = try call.arg(0), old = try call.kernel.readU64(address)
            try call.kernel.writeU64(address, old &+ call.arg(1))
            return old
        },
        // ExInterlockedCompareExchange64(Destination, Exchange*, Comparand*, Lock).
        .ntoskrnl("ExInterlockedCompareExchange64") { call in
            let kernel = call.kernel, address = try call.arg(0), old = try kernel.readU64(address)
            if old == (try kernel.readU64(call.arg(2))) { try kernel.writeU64(address, kernel.readU64(call.arg(1))) }
            return old
        },
    ]

    /// The spin lock an ExInterlocked* helper takes: held already means a deadlock.
    static func checkLock(_ call: KernelCall, _ lock: UInt64) throws {
        guard lock != 0, try call.kernel.readU64(lock) != 0 else { return }
        throw SynchronizationArea.deadlock(call, "spin lock \(SynchronizationArea.hex(lock)), already held by the caller")
    }

    /// SLIST_HEADER (HeaderX64): low = Depth:16 | Sequence:48, high = NextEntry (16-byte aligned).
    static func pushSList(_ kernel: Kernel, head: UInt64, entry: UInt64, _ call: KernelCall) throws -> UInt64 {
        let low = try kernel.readU64(head), high = try kernel.readU64(head &+ 8)
        let first = high & ~0xF
        if entry & 0xF != 0 { call.note("SLIST entry 0x\(String(entry, radix: 16)) is not 16-byte aligned") }
        try kernel.writeU64(entry, first)
        let depth = (low &+ 1) & 0xFFFF, sequence = ((low >> 16) &+ 1) & 0xFFFF_FFFF_FFFF
        try kernel.writeU64(head &+ 8, (entry & ~0xF) | (high & 0xF))
        try kernel.writeU64(head, depth | sequence << 16)
        return first
    }

    static func popSList(_ kernel: Kernel, head: UInt64) throws -> UInt64 {
        let low = try kernel.readU64(head), high = try kernel.readU64(head &+ 8)
        let first = high & ~0xF
        guard first != 0 else { return 0 }
        let next = try kernel.readU64(first)
        let depth = (low & 0xFFFF) == 0 ? 0 : (low & 0xFFFF) - 1
        let sequence = ((low >> 16) &+ 1) & 0xFFFF_FFFF_FFFF
        try kernel.writeU64(head &+ 8, (next & ~0xF) | (high & 0xF))
        try kernel.writeU64(head, depth | sequence << 16)
        return first
    }

    static func flushSList(_ kernel: Kernel, head: UInt64) throws -> UInt64 {
        let low = try kernel.readU64(head), high = try kernel.readU64(head &+ 8)
        try kernel.writeU64(head &+ 8, high & 0xF)
        try kernel.writeU64(head, low & ~0xFFFF)
        return high & ~0xF
    }

    /// A corrupted LIST_ENTRY is __fastfail(FAST_FAIL_CORRUPT_LIST_ENTRY): bug check 0x139, parameter 3.
    static func corruptList(_ call: KernelCall, _ entry: UInt64) -> KernelStop {
        .bugCheck(code: 0x139, parameters: [3, entry, 0, 0], site: call.returnAddress)
    }

    /// Ex(f)InterlockedInsertHead/TailList(ListHead, ListEntry, Lock) → the previous first/last entry, or NULL.
    static func insertList(_ call: KernelCall, tail: Bool) throws -> UInt64 {
        let kernel = call.kernel, head = try call.arg(0), entry = try call.arg(1)
        try checkLock(call, call.arg(2))
        if tail {
            let last = try kernel.readU64(head &+ 8)
            guard try kernel.readU64(last) == head else { throw corruptList(call, head) }
            try kernel.writeU64(entry, head)
            try kernel.writeU64(entry &+ 8, last)
            try kernel.writeU64(last, entry)
            try kernel.writeU64(head &+ 8, entry)
            return last == head ? 0 : last
        }
        let first = try kernel.readU64(head)
        guard try kernel.readU64(first &+ 8) == head else { throw corruptList(call, head) }
        try kernel.writeU64(entry, first)
        try kernel.writeU64(entry &+ 8, head)
        try kernel.writeU64(first &+ 8, entry)
        try kernel.writeU64(head, entry)
        return first == head ? 0 : first
    }

    /// Ex(f)InterlockedRemoveHeadList(ListHead, Lock) → the removed entry, or NULL when empty.
    static func removeHeadList(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, head = try call.arg(0)
        try checkLock(call, call.arg(1))
        let first = try kernel.readU64(head)
        guard first != head else { return 0 }
        let next = try kernel.readU64(first)
        guard try kernel.readU64(first &+ 8) == head, try kernel.readU64(next &+ 8) == first else {
            throw corruptList(call, first)
        }
        try kernel.writeU64(head, next)
        try kernel.writeU64(next &+ 8, head)
        return first
    }

    /// Ex(f)InterlockedPushEntryList(ListHead, ListEntry, Lock) → the previous first entry.
    static func pushEntryList(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, head = try call.arg(0), entry = try call.arg(1)
        try checkLock(call, call.arg(2))
        let first = try kernel.readU64(head)
        try kernel.writeU64(entry, first)
        try kernel.writeU64(head, entry)
        return first
    }

    /// Ex(f)InterlockedPopEntryList(ListHead, Lock) → the removed entry, or NULL.
    static func popEntryList(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, head = try call.arg(0)
        try checkLock(call, call.arg(1))
        let first = try kernel.readU64(head)
        guard first != 0 else { return 0 }
        try kernel.writeU64(head, kernel.readU64(first))
        return first
    }
}
