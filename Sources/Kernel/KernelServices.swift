import CPU

/// Handles as a process's handle table hands them out: multiples of 4 from
/// 0x80, each naming a kernel object (by its guest address when it has one)
/// and the area-specific data behind it. `ZwClose` closes any kind.
public final class HandleTable {
    public struct Entry {
        /// "Key", "File", "Event", "Process", "Thread", "Section", "SymbolicLink", "Directory", …
        public var kind: String
        /// The object's guest address (0 for objects that live only in the model).
        public var object: UInt64
        /// What the owning area keeps for it (a registry key path, a file's bytes, …).
        public var payload: AnyObject?

        public init(kind: String, object: UInt64 = 0, payload: AnyObject? = nil) {
            self.kind = kind
            self.object = object
            self.payload = payload
        }
    }

    /// Open handles a run may hold at once (a leak loop ends with STATUS_INSUFFICIENT_RESOURCES).
    public static let capacity = 65536
    private var entries: [UInt64: Entry] = [:]
    private var next: UInt64 = 0x80

    public func insert(_ entry: Entry) -> UInt64? {
        guard entries.count < Self.capacity else { return nil }
        let handle = next
        next += 4
        entries[handle] = entry
        return handle
    }

    public func lookup(_ handle: UInt64) -> Entry? { entries[handle] }

    /// Removes a handle; false when it was not open.
    @discardableResult
    public func close(_ handle: UInt64) -> Bool { entries.removeValue(forKey: handle) != nil }

    public var openCount: Int { entries.count }
}

/// A driver routine the kernel will call later, outside the call that registered
/// it: DPCs, timers, work items, system threads, notification callbacks. The
/// scenario runs each as its own entry point after DriverEntry.
public struct DeferredRoutine: Sendable, Equatable {
    /// What it is, for the report: "DPC", "Timer", "WorkItem", "SystemThread",
    /// "ProcessNotify", "ThreadNotify", "ImageNotify", "RegistryCallback", "ObjectCallback", …
    public var kind: String
    public var routine: UInt64
    public var arguments: [UInt64]

    public init(kind: String, routine: UInt64, arguments: [UInt64]) {
        self.kind = kind
        self.routine = routine
        self.arguments = arguments
    }
}

extension Kernel {
    /// Per-area state (registry tree, dispatcher objects, …), created on first use.
    /// Areas keep their state in their own class instead of growing one shared struct.
    public func state<T: AnyObject>(_ type: T.Type, make: () -> T) -> T {
        let key = ObjectIdentifier(type)
        if let existing = areaStates[key] as? T { return existing }
        let created = make()
        areaStates[key] = created
        return created
    }

    /// Drops every area's state and the queued routines, for a session that is closing. An
    /// area's state can hold closures that reference the kernel — a framework callback whose
    /// driver routine never returned (a bug check ended it) keeps its continuation in
    /// `GuestCallbacks.pending` — and such a cycle kept the whole machine (engine, guest memory,
    /// kernel model, ~1.3 MiB) alive after the run, in every process that runs several drivers.
    public func discardState() {
        areaStates = [:]
        deferredRoutines = []
    }

    /// Queues a routine for the scenario to run later (see `DeferredRoutine`).
    public func queue(_ routine: DeferredRoutine) {
        guard deferredRoutines.count < 4096 else { return }
        deferredRoutines.append(routine)
    }

    /// Takes the queued routines, oldest first.
    public func takeDeferredRoutines() -> [DeferredRoutine] {
        defer { deferredRoutines = [] }
        return deferredRoutines
    }

    /// Calls a modeled export as a driver would, with `arguments` by the x64
    /// convention at the current RSP (which must point at writable stack with
    /// room above it): for tests, and for kernel code that calls its own exports.
    public func invoke(_ function: String, arguments: [UInt64]) throws -> UInt64 {
        guard let export = ExportTable.registrations(named: function).first else { throw KernelSetupError.notModeled(function) }
        let rsp = try engine.read(.rsp)
        for (index, value) in arguments.enumerated() {
            if index < 4 {
                try engine.write(Register.windowsArguments[index], value)
            } else {
                try writeU64(rsp &+ 0x28 &+ UInt64(index - 4) * 8, value)
            }
        }
        let call = try KernelCall(kernel: self, function: export.qualifiedName)
        return try acting(for: call) { try export.handler(call) }
    }
}
