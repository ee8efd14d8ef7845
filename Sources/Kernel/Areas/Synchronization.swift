/// The kernel model's dispatcher objects and waits on one CPU with one
/// thread of execution and no preemption.
///
/// Dispatcher objects (KEVENT, KMUTEX, KSEMAPHORE, KTIMER, thread objects)
/// live in driver memory: the model reads and writes their DISPATCHER_HEADER
/// (Type at +0, SignalState at +4), so inline code and the model agree.
///
/// Waits: a signalled object satisfies the wait at once (synchronization
/// events and timers reset, semaphores count down, mutexes are acquired with
/// a recursion count). A zero timeout on an unsignalled object returns
/// STATUS_TIMEOUT; a finite timeout advances the model's clock to the
/// deadline (expiring timers on the way) and returns STATUS_TIMEOUT, or
/// STATUS_SUCCESS when a timer in the wait expires first. An infinite wait
/// that nothing can satisfy first runs the queued system threads, work items
/// and DPCs (Synchronization+Deferred.swift); if it still cannot be satisfied
/// it ends the entry point with `KernelStop.unsatisfiableWait`.
///
/// Locks (fast/guarded mutexes, ERESOURCE, push locks, spin locks) are in
/// Synchronization+Locks.swift.
enum SynchronizationArea {
    static let handlers: [KernelExport] = objectHandlers + lockHandlers

    static let objectHandlers: [KernelExport] = [
        // Events
        .ntoskrnl("KeInitializeEvent") { call in
            try initializeEvent(call.kernel, call.arg(0), type: UInt8(truncatingIfNeeded: call.arg(1)),
                                signalled: call.arg(2) & 0xFF != 0)
            return 0
        },
        .ntoskrnl("KeSetEvent") { call in UInt64(UInt32(bitPattern: try setSignal(call.kernel, call.arg(0), 1))) },
        .ntoskrnl("KeResetEvent") { call in UInt64(UInt32(bitPattern: try setSignal(call.kernel, call.arg(0), 0))) },
        .ntoskrnl("KeClearEvent") { call in
            _ = try setSignal(call.kernel, call.arg(0), 0)
            return 0
        },
        .ntoskrnl("KeReadStateEvent") { call in UInt64(UInt32(bitPattern: try signalState(call.kernel, call.arg(0)))) },
        // Nothing waits in a one-thread model: the event is signalled and at once reset.
        .ntoskrnl("KePulseEvent") { call in UInt64(UInt32(bitPattern: try setSignal(call.kernel, call.arg(0), 0))) },
        .ntoskrnl("ZwCreateEvent") { try createEvent($0) },
        .ntoskrnl("NtCreateEvent") { try createEvent($0) },
        .ntoskrnl("ZwOpenEvent") { try openEvent($0) },
        .ntoskrnl("NtOpenEvent") { try openEvent($0) },
        .ntoskrnl("ZwSetEvent") { try eventByHandle($0, state: 1, previous: $0.arg(1)) },
        .ntoskrnl("NtSetEvent") { try eventByHandle($0, state: 1, previous: $0.arg(1)) },
        .ntoskrnl("ZwResetEvent") { try eventByHandle($0, state: 0, previous: $0.arg(1)) },
        .ntoskrnl("NtResetEvent") { try eventByHandle($0, state: 0, previous: $0.arg(1)) },
        .ntoskrnl("ZwClearEvent") { try eventByHandle($0, state: 0, previous: 0) },
        .ntoskrnl("NtClearEvent") { try eventByHandle($0, state: 0, previous: 0) },
        .ntoskrnl("ZwPulseEvent") { try eventByHandle($0, state: 0, previous: $0.arg(1)) },
        .ntoskrnl("IoCreateNotificationEvent") { try ioCreateEvent($0, type: Layout.Dispatcher.Header.eventNotification) },
        .ntoskrnl("IoCreateSynchronizationEvent") { try ioCreateEvent($0, type: Layout.Dispatcher.Header.eventSynchronization) },
        // Mutexes and semaphores
        .ntoskrnl("KeInitializeMutex") { call in
            try initializeMutex(call.kernel, call.arg(0))
            return 0
        },
        .ntoskrnl("KeReleaseMutex") { try releaseMutex($0) },
        .ntoskrnl("KeReadStateMutex") { call in UInt64(UInt32(bitPattern: try signalState(call.kernel, call.arg(0)))) },
        .ntoskrnl("KeInitializeSemaphore") { call in
            typealias H = Layout.Dispatcher.Header
            let semaphore = try call.arg(0)
            try writeHeader(call.kernel, semaphore, type: H.semaphore,
                            size: Layout.Dispatcher.Semaphore.totalSize, signal: Int32(bitPattern: call.arg32(1)))
            try call.kernel.writeU32(semaphore &+ UInt64(Layout.Dispatcher.Semaphore.limit), call.arg32(2))
            return 0
        },
        .ntoskrnl("KeReleaseSemaphore") { try releaseSemaphore($0) },
        .ntoskrnl("KeReadStateSemaphore") { call in UInt64(UInt32(bitPattern: try signalState(call.kernel, call.arg(0)))) },
        // Waits
        // Each may first run queued threads / work items / DPCs (Synchronization+Deferred.swift).
        .ntoskrnl("KeWaitForSingleObject") { call in
            try waitRunningDeferred(call, objects: [call.arg(0)], timeout: call.arg(4)) {
                UInt64(try wait(call, objects: [call.arg(0)], waitAll: false, timeout: call.arg(4)))
            }
        },
        .ntoskrnl("KeWaitForMutexObject") { call in
            try waitRunningDeferred(call, objects: [call.arg(0)], timeout: call.arg(4)) {
                UInt64(try wait(call, objects: [call.arg(0)], waitAll: false, timeout: call.arg(4)))
            }
        },
        .ntoskrnl("KeWaitForMultipleObjects") { call in
            try waitRunningDeferred(call, objects: waitedObjects(call), waitAll: call.arg32(2) == 0, timeout: call.arg(6)) {
                try waitMultiple(call)
            }
        },
        .ntoskrnl("ZwWaitForSingleObject") { call in
            try waitRunningDeferred(call, objects: objects(call.kernel, handles: [call.arg(0)]), timeout: call.arg(2)) {
                try waitHandles(call, handles: [call.arg(0)], waitAll: false, timeout: call.arg(2))
            }
        },
        .ntoskrnl("NtWaitForSingleObject") { call in
            try waitRunningDeferred(call, objects: objects(call.kernel, handles: [call.arg(0)]), timeout: call.arg(2)) {
                try waitHandles(call, handles: [call.arg(0)], waitAll: false, timeout: call.arg(2))
            }
        },
        .ntoskrnl("ZwWaitForMultipleObjects") { call in try waitRunningDeferred(call) { try waitHandlesMultiple(call) } },
        .ntoskrnl("NtWaitForMultipleObjects") { call in try waitRunningDeferred(call) { try waitHandlesMultiple(call) } },
    ]

    // MARK: Headers

    static func writeHeader(_ kernel: Kernel, _ object: UInt64, type: UInt8, size: Int, signal: Int32) throws {
        typealias H = Layout.Dispatcher.Header
        try kernel.writeU8(object &+ UInt64(H.type), type)
        try kernel.writeU8(object &+ UInt64(H.signalling), 0)
        try kernel.writeU8(object &+ UInt64(H.size), UInt8(truncatingIfNeeded: size / 4))
        try kernel.writeU8(object &+ 3, 0)
        try kernel.writeU32(object &+ UInt64(H.signalState), UInt32(bitPattern: signal))
        // An empty wait list points at itself.
        let list = object &+ UInt64(H.waitListHead)
        try kernel.writeU64(list, list)
        try kernel.writeU64(list &+ 8, list)
    }

    static func initializeEvent(_ kernel: Kernel, _ event: UInt64, type: UInt8, signalled: Bool) throws {
        try writeHeader(kernel, event, type: type, size: Layout.Dispatcher.Event.totalSize, signal: signalled ? 1 : 0)
    }

    static func signalState(_ kernel: Kernel, _ object: UInt64) throws -> Int32 {
        Int32(bitPattern: try kernel.readU32(object &+ UInt64(Layout.Dispatcher.Header.signalState)))
    }

    /// Sets SignalState; returns the previous one.
    @discardableResult
    static func setSignal(_ kernel: Kernel, _ object: UInt64, _ value: Int32) throws -> Int32 {
        let previous = try signalState(kernel, object)
        try kernel.writeU32(object &+ UInt64(Layout.Dispatcher.Header.signalState), UInt32(bitPattern: value))
        return previous
    }

    static func objectType(_ kernel: Kernel, _ object: UInt64) throws -> UInt8 {
        try kernel.readU8(object) & 0x7F
    }

    static func typeName(_ type: UInt8) -> String {
        switch type {
        case 0: return "notification event"
        case 1: return "synchronization event"
        case 2: return "mutex"
        case 3: return "process"
        case 4: return "queue"
        case 5: return "semaphore"
        case 6: return "thread"
        case 7: return "gate"
        case 8: return "notification timer"
        case 9: return "synchronization timer"
        default: return "object of type \(type)"
        }
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    // MARK: Mutexes and semaphores

    static func initializeMutex(_ kernel: Kernel, _ mutex: UInt64) throws {
        typealias M = Layout.Dispatcher.Mutant
        try writeHeader(kernel, mutex, type: Layout.Dispatcher.Header.mutant, size: M.totalSize, signal: 1)
        try kernel.fill(mutex &+ UInt64(M.mutantListEntry), count: 0x10)
        try kernel.writeU64(mutex &+ UInt64(M.ownerThread), 0)
        try kernel.writeU8(mutex &+ UInt64(M.abandoned), 0)
        try kernel.writeU8(mutex &+ UInt64(M.apcDisable), 1)
    }

    /// KeReleaseMutex(Mutex, Wait): the previous SignalState (0 when the mutex became free).
    /// Releasing a mutex the current thread does not own raises STATUS_MUTANT_NOT_OWNED, which
    /// the model treats as unhandled (bug check 0x1E).
    static func releaseMutex(_ call: KernelCall) throws -> UInt64 {
        typealias M = Layout.Dispatcher.Mutant
        let kernel = call.kernel, mutex = try call.arg(0)
        let previous = try signalState(kernel, mutex)
        let owner = try kernel.readU64(mutex &+ UInt64(M.ownerThread))
        let thread = currentThread(kernel)
        guard owner == thread, previous <= 0 else {
            call.note("mutex \(hex(mutex)) is not owned by the current thread")
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(NTStatus.mutantNotOwned), call.returnAddress, 0, 0],
                                      site: call.returnAddress)
        }
        let now = previous + 1
        try setSignal(kernel, mutex, now)
        if now == 1 {
            try kernel.writeU64(mutex &+ UInt64(M.ownerThread), 0)
            if try kernel.readU8(mutex &+ UInt64(M.apcDisable)) != 0 { leaveCriticalRegion(call) }
        }
        return UInt64(UInt32(bitPattern: previous))
    }

    /// KeReleaseSemaphore(Semaphore, Increment, Adjustment, Wait): the previous count. Going past
    /// the limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED (unhandled here: bug check 0x1E).
    static func releaseSemaphore(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, semaphore = try call.arg(0)
        let adjustment = Int32(bitPattern: try call.arg32(2))
        let previous = try signalState(kernel, semaphore)
        let limit = Int32(bitPattern: try kernel.readU32(semaphore &+ UInt64(Layout.Dispatcher.Semaphore.limit)))
        let (now, overflow) = previous.addingReportingOverflow(adjustment)
        guard !overflow, now <= limit, now >= previous else {
            call.note("count \(previous) + \(adjustment) exceeds limit \(limit)")
            throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(NTStatus.semaphoreLimitExceeded), call.returnAddress, 0, 0],
                                      site: call.returnAddress)
        }
        try setSignal(kernel, semaphore, now)
        return UInt64(UInt32(bitPattern: previous))
    }

    // MARK: Named events and handles

    final class NamedEvents {
        var byName: [String: UInt64] = [:]
    }

    /// A KEVENT as a kernel object (with an OBJECT_HEADER, kind "Event").
    static func makeEvent(_ kernel: Kernel, name: String?, type: UInt8, signalled: Bool) throws -> UInt64 {
        let event = try kernel.obAllocate(kind: "Event", bodySize: Layout.Dispatcher.Event.totalSize, name: name)
        try initializeEvent(kernel, event, type: type, signalled: signalled)
        if let name { kernel.state(NamedEvents.self) { NamedEvents() }.byName[name.lowercased()] = event }
        return event
    }

    static func objectName(_ kernel: Kernel, attributes: UInt64) throws -> String? {
        guard attributes != 0 else { return nil }
        guard let name = try kernel.readUnicodeString(kernel.readU64(attributes &+ 0x10)), !name.isEmpty else { return nil }
        return name
    }

    static func insertHandle(_ kernel: Kernel, event: UInt64, out: UInt64) throws -> UInt32 {
        guard let handle = kernel.handles.insert(.init(kind: "Event", object: event)) else {
            return NTStatus.insufficientResources
        }
        try kernel.writeU64(out, handle)
        return NTStatus.success
    }

    /// ZwCreateEvent(EventHandle, DesiredAccess, ObjectAttributes, EventType, InitialState).
    static func createEvent(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, out = try call.arg(0), attributes = try call.arg(2)
        let type = try call.arg32(3), initial = try call.arg(4) & 0xFF != 0
        guard type <= 1 else { return UInt64(NTStatus.invalidParameter) }
        let name = try objectName(kernel, attributes: attributes)
        call.note((name ?? "(unnamed)") + (type == 0 ? ", notification" : ", synchronization"))
        if let name, let existing = kernel.state(NamedEvents.self, make: { NamedEvents() }).byName[name.lowercased()] {
            let openIf = try kernel.readU32(attributes &+ 0x18) & 0x80 != 0 // OBJ_OPENIF
            guard openIf else { return UInt64(NTStatus.objectNameCollision) }
            let status = try insertHandle(kernel, event: existing, out: out)
            return UInt64(status == NTStatus.success ? 0x4000_0000 : status) // STATUS_OBJECT_NAME_EXISTS
        }
        let event = try makeEvent(kernel, name: name, type: UInt8(type), signalled: initial)
        return UInt64(try insertHandle(kernel, event: event, out: out))
    }

    /// ZwOpenEvent(EventHandle, DesiredAccess, ObjectAttributes).
    static func openEvent(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        guard let name = try objectName(kernel, attributes: call.arg(2)) else { return UInt64(NTStatus.objectNameInvalid) }
        call.note(name)
        guard let event = kernel.state(NamedEvents.self, make: { NamedEvents() }).byName[name.lowercased()] else {
            return UInt64(NTStatus.objectNameNotFound)
        }
        return UInt64(try insertHandle(kernel, event: event, out: call.arg(0)))
    }

    /// IoCreateNotificationEvent / IoCreateSynchronizationEvent(EventName, EventHandle): the
    /// named event, created signalled if it did not exist, or opened.
    static func ioCreateEvent(_ call: KernelCall, type: UInt8) throws -> UInt64 {
        let kernel = call.kernel
        guard let name = try kernel.readUnicodeString(call.arg(0)), !name.isEmpty else { return 0 }
        call.note(name)
        let event = try kernel.state(NamedEvents.self, make: { NamedEvents() }).byName[name.lowercased()]
            ?? makeEvent(kernel, name: name, type: type, signalled: true)
        guard try insertHandle(kernel, event: event, out: call.arg(1)) == NTStatus.success else { return 0 }
        return event
    }

    /// ZwSetEvent / ZwResetEvent / ZwClearEvent / ZwPulseEvent(EventHandle[, PreviousState]).
    static func eventByHandle(_ call: KernelCall, state: Int32, previous out: UInt64) throws -> UInt64 {
        let kernel = call.kernel, handle = try call.arg(0)
        guard let entry = kernel.handles.lookup(handle) else { return UInt64(NTStatus.invalidHandle) }
        guard entry.kind == "Event", entry.object != 0 else { return UInt64(NTStatus.objectTypeMismatch) }
        let previous = try setSignal(kernel, entry.object, state)
        if out != 0 { try kernel.writeU32(out, UInt32(bitPattern: previous)) }
        return UInt64(NTStatus.success)
    }
}

// MARK: - Waits

extension SynchronizationArea {
    /// When an object could satisfy a wait.
    enum Readiness: Equatable {
        case now
        /// A set timer: at this system time.
        case at(UInt64)
        case never(String)
    }

    /// The thread the CPU runs (KPCR.Prcb.CurrentThread, which the scenario may switch for system threads).
    static func currentThread(_ kernel: Kernel) -> UInt64 {
        let thread = (try? kernel.readU64(kernel.processor.kpcr &+ UInt64(Layout.KPCR.currentThread))) ?? 0
        return thread != 0 ? thread : kernel.processor.thread
    }

    static func readiness(_ kernel: Kernel, _ object: UInt64) throws -> Readiness {
        typealias H = Layout.Dispatcher.Header
        if object == currentThread(kernel) || object == kernel.processor.thread {
            return .never("thread \(hex(object)) (the current thread, which cannot end while it waits)")
        }
        let type = try objectType(kernel, object), signal = try signalState(kernel, object)
        switch type {
        case H.mutant:
            let owner = try kernel.readU64(object &+ UInt64(Layout.Dispatcher.Mutant.ownerThread))
            if signal > 0 || owner == currentThread(kernel) { return .now }
            return .never("mutex \(hex(object)) owned by thread \(hex(owner))")
        case H.timerNotification, H.timerSynchronization:
            if signal > 0 { return .now }
            if let due = DeferredArea.timerDue(kernel, object) { return .at(due) }
            return .never("timer \(hex(object)) (not set)")
        case H.thread:
            if signal > 0 { return .now }
            return .never("thread \(hex(object)) (still running)")
        default:
            if signal > 0 { return .now }
            return .never("\(typeName(type)) \(hex(object)) (not signalled)")
        }
    }

    /// Consumes what a satisfied wait takes from the object.
    static func satisfy(_ call: KernelCall, _ object: UInt64) throws {
        typealias H = Layout.Dispatcher.Header
        let kernel = call.kernel
        switch try objectType(kernel, object) {
        case H.eventSynchronization, H.timerSynchronization, H.gate:
            try setSignal(kernel, object, 0)
        case H.semaphore:
            let count = try signalState(kernel, object)
            if count > 0 { try setSignal(kernel, object, count - 1) }
        case H.mutant:
            typealias M = Layout.Dispatcher.Mutant
            let count = try signalState(kernel, object)
            guard count != Int32.min else {
                throw KernelStop.bugCheck(code: 0x1E, parameters: [UInt64(NTStatus.mutantLimitExceeded), call.returnAddress, 0, 0],
                                          site: call.returnAddress)
            }
            try setSignal(kernel, object, count - 1)
            if count == 1 {
                try kernel.writeU64(object &+ UInt64(M.ownerThread), currentThread(kernel))
                try kernel.writeU8(object &+ UInt64(M.abandoned), 0)
                if try kernel.readU8(object &+ UInt64(M.apcDisable)) != 0 { enterCriticalRegion(call) }
            }
        default:
            break
        }
    }

    /// The absolute system time a Timeout argument (PLARGE_INTEGER) names; nil for NULL (infinite).
    /// Negative values are relative, positive ones absolute, zero is "now".
    static func deadline(_ kernel: Kernel, timeoutPointer: UInt64) throws -> UInt64? {
        guard timeoutPointer != 0 else { return nil }
        return TimeArea.absoluteTime(kernel, Int64(bitPattern: try kernel.readU64(timeoutPointer)))
    }

    /// The same for a wait call, fixed when the wait began: a relative timeout counts from then,
    /// however long the routines run inside the wait let the clock move.
    static func deadline(_ call: KernelCall, timeoutPointer: UInt64) throws -> UInt64? {
        guard timeoutPointer != 0 else { return nil }
        if let fixed = call.waitDeadlines[timeoutPointer] { return fixed }
        let value = try deadline(call.kernel, timeoutPointer: timeoutPointer)
        call.waitDeadlines[timeoutPointer] = value
        return value
    }

    static func queuedNote(_ kernel: Kernel) -> String {
        let count = kernel.deferredRoutines.count
        guard count > 0 else { return "" }
        return "; \(count) queued deferred routine(s) that might signal it only run after this entry point"
    }

    /// The wait core: returns STATUS_WAIT_0 + index (wait any), STATUS_SUCCESS (wait all) or
    /// STATUS_TIMEOUT; throws `unsatisfiableWait` for an infinite wait nothing can satisfy.
    static func wait(_ call: KernelCall, objects: [UInt64], waitAll: Bool, timeout timeoutPointer: UInt64) throws -> UInt32 {
        let kernel = call.kernel
        let deadline = try deadline(call, timeoutPointer: timeoutPointer)
        let function = call.function.split(separator: "!").last.map(String.init) ?? call.function
        let irql = currentIrql(kernel)
        if irql > 2 || (irql == 2 && deadline != kernel.processor.systemTime) {
            call.note("IRQL violation: waiting at IRQL \(irql)")
        }
        // At most two rounds: a timer wait advances the clock to the due time, then the objects are signalled.
        for _ in 0..<4 {
            let states = try objects.map { try readiness(kernel, $0) }
            if waitAll {
                if states.allSatisfy({ $0 == .now }) {
                    for object in objects { try satisfy(call, object) }
                    return NTStatus.success
                }
            } else if let index = states.firstIndex(of: .now) {
                try satisfy(call, objects[index])
                return NTStatus.wait0 + UInt32(index)
            }
            // When could the wait be satisfied by time passing alone?
            var when: UInt64?
            var blocker: String?
            for state in states {
                switch state {
                case .now: break
                case .at(let due): when = waitAll ? max(when ?? 0, due) : min(when ?? .max, due)
                case .never(let what): if blocker == nil { blocker = what }
                }
            }
            if waitAll, blocker != nil { when = nil }
            if let due = when, deadline.map({ due <= $0 }) ?? true {
                try TimeArea.advance(kernel, to: due)
                continue
            }
            if let deadline {
                try TimeArea.advance(kernel, to: deadline)
                call.note("timed out")
                return NTStatus.timeout
            }
            let what = blocker ?? "objects"
            throw KernelStop.unsatisfiableWait("\(function) on \(what): nothing can signal it on the one thread of the model" +
                                               queuedNote(kernel))
        }
        return NTStatus.timeout
    }

    /// KeWaitForMultipleObjects(Count, Object[], WaitType, WaitReason, WaitMode, Alertable, Timeout, WaitBlockArray).
    static func waitMultiple(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let count = try call.arg32(0), array = try call.arg(1), waitType = try call.arg32(2)
        let timeout = try call.arg(6), waitBlocks = try call.arg(7)
        // MAXIMUM_WAIT_OBJECTS 64; more than THREAD_WAIT_OBJECTS (3) needs a wait block array.
        if count > 64 || (count > 3 && waitBlocks == 0) {
            throw KernelStop.bugCheck(code: 0xC, parameters: [UInt64(count), 0, 0, 0], site: call.returnAddress)
        }
        guard count > 0, waitType <= 1 else { return UInt64(NTStatus.invalidParameter) }
        let objects = try (0..<UInt64(count)).map { try kernel.readU64(array &+ $0 * 8) }
        return UInt64(try wait(call, objects: objects, waitAll: waitType == 0, timeout: timeout))
    }

    /// ZwWaitForSingleObject(Handle, Alertable, Timeout) and the multiple form's core. Handles to
    /// file objects count as signalled (the model's I/O is synchronous); NtCurrentProcess and
    /// NtCurrentThread never are while the caller runs.
    static func waitHandles(_ call: KernelCall, handles: [UInt64], waitAll: Bool, timeout: UInt64) throws -> UInt64 {
        let kernel = call.kernel
        var objects: [UInt64] = []
        var positions: [Int] = []
        var selfWait: String?
        for (index, handle) in handles.enumerated() {
            if handle == UInt64.max || handle == UInt64.max - 1 {
                selfWait = handle == UInt64.max ? "the current process" : "the current thread"
                continue
            }
            guard let entry = kernel.handles.lookup(handle) else { return UInt64(NTStatus.invalidHandle) }
            if entry.object != 0 {
                objects.append(entry.object)
                positions.append(index)
            } else if entry.kind == "File" {
                if !waitAll { return UInt64(NTStatus.wait0 + UInt32(index)) }
            } else {
                return UInt64(NTStatus.objectTypeMismatch)
            }
        }
        if let selfWait, waitAll || objects.isEmpty {
            let function = call.function.split(separator: "!").last.map(String.init) ?? call.function
            guard let deadline = try deadline(call, timeoutPointer: timeout) else {
                throw KernelStop.unsatisfiableWait("\(function) on \(selfWait), which cannot end while it waits")
            }
            try TimeArea.advance(kernel, to: deadline)
            return UInt64(NTStatus.timeout)
        }
        if objects.isEmpty { return UInt64(NTStatus.success) }
        let status = try wait(call, objects: objects, waitAll: waitAll, timeout: timeout)
        if !waitAll, status < UInt32(positions.count) { return UInt64(positions[Int(status)]) }
        return UInt64(status)
    }

    /// ZwWaitForMultipleObjects(Count, Handles[], WaitType, Alertable, Timeout).
    static func waitHandlesMultiple(_ call: KernelCall) throws -> UInt64 {
        let count = try call.arg32(0), array = try call.arg(1), waitType = try call.arg32(2)
        guard count > 0, count <= 64, waitType <= 1 else { return UInt64(NTStatus.invalidParameter) }
        let handles = try (0..<UInt64(count)).map { try call.kernel.readU64(array &+ $0 * 8) }
        return try waitHandles(call, handles: handles, waitAll: waitType == 0, timeout: call.arg(4))
    }
}
