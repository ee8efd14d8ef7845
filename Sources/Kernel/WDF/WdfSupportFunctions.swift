/// Locks, timers, work items, DPCs and registry keys of the framework. Timer,
/// work-item and DPC callbacks run later, as their own entry points: the model
/// queues them as deferred routines ("EvtTimerFunc", "EvtWorkItem", "EvtDpcFunc")
/// with the object handle as their one argument.
enum WdfSupportFunctions {
    static let handlers: [KernelExport] = [
        // WdfSpinLockCreate / WdfWaitLockCreate(Globals, Attributes, *Lock)
        .kmdf("WdfSpinLockCreate") { try createSimple($0, kind: "WDFSPINLOCK") },
        .kmdf("WdfSpinLockAcquire") { _ in 0 }.stub("one CPU: the lock is never contended (IRQL is not raised)"),
        .kmdf("WdfSpinLockRelease") { _ in 0 }.stub("one CPU: the lock is never contended"),
        .kmdf("WdfWaitLockCreate") { try createSimple($0, kind: "WDFWAITLOCK") },
        .kmdf("WdfWaitLockAcquire") { _ in UInt64(NTStatus.success) }.stub("one thread: the lock is never contended"),
        .kmdf("WdfWaitLockRelease") { _ in 0 }.stub("one thread: the lock is never contended"),
        // WdfTimerCreate / WdfWorkItemCreate / WdfDpcCreate(Globals, Config, Attributes, *Object)
        .kmdf("WdfTimerCreate") { try createWithCallback($0, kind: "WDFTIMER") },
        .kmdf("WdfWorkItemCreate") { try createWithCallback($0, kind: "WDFWORKITEM") },
        .kmdf("WdfDpcCreate") { try createWithCallback($0, kind: "WDFDPC") },
        // WdfTimerStart(Globals, Timer, DueTime) → BOOLEAN (already queued)
        .kmdf("WdfTimerStart") { call in try schedule(call, kind: "WDFTIMER", routine: "EvtTimerFunc") },
        .kmdf("WdfTimerStop") { call in
            let timer = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFTIMER")
            defer { timer["queued"] = 0 }
            return timer["queued"]
        },
        .kmdf("WdfTimerGetParentObject") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFTIMER").parent },
        .kmdf("WdfWorkItemEnqueue") { call in _ = try schedule(call, kind: "WDFWORKITEM", routine: "EvtWorkItem"); return 0 },
        .kmdf("WdfWorkItemGetParentObject") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFWORKITEM").parent },
        .kmdf("WdfWorkItemFlush") { _ in 0 }.stub("work items run when the scenario runs deferred routines"),
        .kmdf("WdfDpcEnqueue") { call in try schedule(call, kind: "WDFDPC", routine: "EvtDpcFunc") },
        .kmdf("WdfDpcCancel") { call in
            let dpc = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDPC")
            defer { dpc["queued"] = 0 }
            return dpc["queued"]
        },
        .kmdf("WdfDpcGetParentObject") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDPC").parent },
        .kmdf("WdfDpcWdmGetDpc") { call in
            let dpc = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDPC")
            if dpc["kdpc"] == 0 { dpc["kdpc"] = try call.kernel.heap.allocate(0x40, name: "KDPC") }
            return dpc["kdpc"]
        },
        // WdfRegistryOpenKey(Globals, ParentKey, KeyName, DesiredAccess, KeyAttributes, *Key)
        .kmdf("WdfRegistryOpenKey") { call in
            let name = try call.kernel.readUnicodeString(call.arg(2)) ?? ""
            return try openKey(call, path: name, attributes: call.arg(4), out: call.arg(5))
        },
        .kmdf("WdfRegistryCreateKey") { call in
            let name = try call.kernel.readUnicodeString(call.arg(2)) ?? ""
            return try openKey(call, path: name, attributes: call.arg(6), out: call.arg(7))
        },
        .kmdf("WdfRegistryClose") { call in
            let kernel = call.kernel
            let key = try kernel.wdfObject(call.arg(1), call, kind: "WDFKEY")
            return try kernel.runGuestStep(call, kernel.wdfDelete(key.handle, then: { .finish(0) }))
        },
        .kmdf("WdfRegistryWdmGetHandle") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFKEY")["handle"] },
        .kmdf("WdfRegistryQueryULong") { call in
            call.note((try? call.kernel.readUnicodeString(call.arg(2))).flatMap { $0 } ?? "")
            return UInt64(WdfStatus.objectNameNotFound)
        },
        .kmdf("WdfRegistryQueryValue") { _ in UInt64(WdfStatus.objectNameNotFound) }.stub("WDF registry keys are empty: every value is not found"),
        .kmdf("WdfRegistryQueryUnicodeString") { _ in UInt64(WdfStatus.objectNameNotFound) }.stub("WDF registry keys are empty: every value is not found"),
        .kmdf("WdfRegistryQueryString") { _ in UInt64(WdfStatus.objectNameNotFound) }.stub("WDF registry keys are empty: every value is not found"),
        .kmdf("WdfRegistryQueryMultiString") { _ in UInt64(WdfStatus.objectNameNotFound) }.stub("WDF registry keys are empty: every value is not found"),
        .kmdf("WdfRegistryAssignULong") { _ in UInt64(NTStatus.success) }.stub("WDF registry writes are not kept"),
        .kmdf("WdfRegistryAssignValue") { _ in UInt64(NTStatus.success) }.stub("WDF registry writes are not kept"),
        .kmdf("WdfRegistryAssignUnicodeString") { _ in UInt64(NTStatus.success) }.stub("WDF registry writes are not kept"),
        .kmdf("WdfRegistryAssignString") { _ in UInt64(NTStatus.success) }.stub("WDF registry writes are not kept"),
        .kmdf("WdfRegistryAssignMemory") { _ in UInt64(NTStatus.success) }.stub("WDF registry writes are not kept"),
        .kmdf("WdfRegistryAssignMultiString") { _ in UInt64(NTStatus.success) }.stub("WDF registry writes are not kept"),
        .kmdf("WdfRegistryRemoveKey") { _ in UInt64(NTStatus.success) }.stub("WDF registry writes are not kept"),
        .kmdf("WdfRegistryRemoveValue") { _ in UInt64(NTStatus.success) }.stub("WDF registry writes are not kept"),
    ]

    static func createSimple(_ call: KernelCall, kind: String) throws -> UInt64 {
        let object = try call.kernel.wdfCreate(kind, attributes: call.arg(1), defaultParent: call.kernel.wdf.driver)
        try call.kernel.writeU64(call.arg(2), object.handle)
        return UInt64(NTStatus.success)
    }

    /// Timers, work items and DPCs: the config's callback, parent required (a device or queue usually).
    static func createWithCallback(_ call: KernelCall, kind: String) throws -> UInt64 {
        let kernel = call.kernel
        let config = try call.arg(1), attributes = try call.arg(2), out = try call.arg(3)
        guard config != 0, out != 0 else { return UInt64(NTStatus.invalidParameter) }
        let object = try kernel.wdfCreate(kind, attributes: attributes, defaultParent: kernel.wdf.driver)
        object["callback"] = try kernel.readU64(config &+ UInt64(WdfLayout.CallbackConfig.callback))
        if kind == "WDFTIMER" { object["period"] = UInt64(try kernel.readU32(config &+ UInt64(WdfLayout.CallbackConfig.timerPeriod))) }
        try kernel.writeU64(out, object.handle)
        return UInt64(NTStatus.success)
    }

    /// Queues the object's callback for the scenario; returns whether it was already queued.
    static func schedule(_ call: KernelCall, kind: String, routine: String) throws -> UInt64 {
        let object = try call.kernel.wdfObject(call.arg(1), call, kind: kind)
        let already = object["queued"]
        if already == 0, object["callback"] != 0 {
            object["queued"] = 1
            call.kernel.queue(DeferredRoutine(kind: routine, routine: object["callback"], arguments: [object.handle]))
            call.note("\(routine) queued")
        }
        return already
    }

    /// A WDFKEY for `path` (the model's registry is empty: queries find no values).
    static func openKey(_ call: KernelCall, path: String, attributes: UInt64, out: UInt64) throws -> UInt64 {
        let kernel = call.kernel
        call.note(path)
        guard out != 0 else { return UInt64(NTStatus.invalidParameter) }
        let key = try kernel.wdfCreate("WDFKEY", attributes: attributes, defaultParent: kernel.wdf.driver)
        key["handle"] = kernel.handles.insert(.init(kind: "Key", payload: nil)) ?? 0
        try kernel.writeU64(out, key.handle)
        return UInt64(NTStatus.success)
    }
}
