/// Registry callbacks (CmRegisterCallback(Ex)), object callbacks (ObRegisterCallbacks),
/// executive callback objects (ExCreateCallback/ExRegisterCallback/ExNotifyCallback),
/// shutdown, bug-check, NMI and logon-session notifications.
extension CallbacksArea {
    static let registrationHandlers: [KernelExport] = [
        .ntoskrnl("CmRegisterCallback") { try cmRegister($0, function: $0.arg(0), altitude: nil, context: $0.arg(1), cookieOut: $0.arg(2)) },
        .ntoskrnl("CmRegisterCallbackEx") { call in
            let altitude = try call.kernel.readUnicodeString(call.arg(1))
            guard let altitude, !altitude.isEmpty else { return UInt64(NTStatus.invalidParameter) }
            return try cmRegister(call, function: call.arg(0), altitude: altitude, context: call.arg(3), cookieOut: call.arg(4))
        },
        .ntoskrnl("CmUnRegisterCallback") { call in
            call.kernel.callbackState.registryCallbacks.removeValue(forKey: try call.arg(0)) == nil
                ? UInt64(NTStatus.invalidParameter) : UInt64(NTStatus.success)
        },
        .ntoskrnl("CmCallbackGetKeyObjectID") { try cmKeyObjectId($0) },
        .ntoskrnl("CmCallbackGetKeyObjectIDEx") { try cmKeyObjectId($0) },
        .ntoskrnl("CmCallbackReleaseKeyObjectIDEx") { _ in 0 }.stub("the model keeps no object-ID references for registry callbacks"),
        .ntoskrnl("ObRegisterCallbacks") { try obRegister($0) },
        .ntoskrnl("ObUnRegisterCallbacks") { call in
            if call.kernel.callbackState.objectCallbacks.removeValue(forKey: try call.arg(0)) == nil {
                call.note("not a registration handle")
            }
            return 0
        },
        .ntoskrnl("ExCreateCallback") { try exCreate($0) },
        .ntoskrnl("ExRegisterCallback") { try exRegister($0) },
        .ntoskrnl("ExUnregisterCallback") { call in
            if call.kernel.callbackState.exRegistrations.removeValue(forKey: try call.arg(0)) == nil {
                call.note("not a callback registration")
            }
            return 0
        },
        .ntoskrnl("ExNotifyCallback") { call in
            let state = call.kernel.callbackState, object = try call.arg(0)
            for (_, registration) in state.exRegistrations.sorted(by: { $0.key < $1.key }) where registration.object == object {
                call.kernel.queue(DeferredRoutine(kind: "ExCallback", routine: registration.function,
                                                  arguments: [registration.context, try call.arg(1), try call.arg(2)]))
            }
            return 0
        },
        .ntoskrnl("IoRegisterShutdownNotification") { try shutdown($0, lastChance: false) },
        .ntoskrnl("IoRegisterLastChanceShutdownNotification") { try shutdown($0, lastChance: true) },
        .ntoskrnl("IoUnregisterShutdownNotification") { call in
            call.kernel.callbackState.shutdownDevices[try call.arg(0)] = nil
            return 0
        },
        .ntoskrnl("KeRegisterBugCheckCallback") { try bugCheckRegister($0) },
        .ntoskrnl("KeDeregisterBugCheckCallback") { try bugCheckDeregister($0, stateOffset: Layout.BugCheckCallbackRecord.state) },
        .ntoskrnl("KeRegisterBugCheckReasonCallback") { try bugCheckReasonRegister($0) },
        .ntoskrnl("KeDeregisterBugCheckReasonCallback") { try bugCheckDeregister($0, stateOffset: Layout.BugCheckCallbackRecord.reasonState) },
        .ntoskrnl("KeRegisterNmiCallback") { call in
            let routine = try call.arg(0), context = try call.arg(1)
            guard routine != 0 else { return 0 }
            let handle = try call.kernel.heap.allocate(0x20, name: "NMI callback")
            call.kernel.callbackState.nmiCallbacks[handle] = (routine, context)
            call.kernel.queue(DeferredRoutine(kind: "NmiCallback", routine: routine, arguments: [context, 0]))
            return handle
        },
        .ntoskrnl("KeDeregisterNmiCallback") { call in
            call.kernel.callbackState.nmiCallbacks.removeValue(forKey: try call.arg(0)) == nil
                ? UInt64(NTStatus.invalidHandle) : UInt64(NTStatus.success)
        },
        .ntoskrnl("SeRegisterLogonSessionTerminatedRoutine") { call in
            let routine = try call.arg(0), state = call.kernel.callbackState
            guard routine != 0 else { return UInt64(NTStatus.invalidParameter) }
            state.logonSessionRoutines.append(routine)
            let luid = try call.kernel.heap.allocate(8, name: "logon session LUID")
            try call.kernel.writeU64(luid, 0x3_A2F1)
            call.kernel.queue(DeferredRoutine(kind: "LogonSessionTerminated", routine: routine, arguments: [luid]))
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("SeUnregisterLogonSessionTerminatedRoutine") { call in
            let state = call.kernel.callbackState, routine = try call.arg(0)
            guard let index = state.logonSessionRoutines.firstIndex(of: routine) else { return UInt64(NTStatus.notFound) }
            state.logonSessionRoutines.remove(at: index)
            return UInt64(NTStatus.success)
        },
    ]

    /// CmRegisterCallback(Function, Context, *Cookie) / CmRegisterCallbackEx(Function, Altitude, Driver, Context, *Cookie, Reserved).
    static func cmRegister(_ call: KernelCall, function: UInt64, altitude: String?, context: UInt64,
                           cookieOut: UInt64) throws -> UInt64 {
        let kernel = call.kernel, state = kernel.callbackState
        guard function != 0, cookieOut != 0 else { return UInt64(NTStatus.invalidParameter) }
        if let altitude, state.registryCallbacks.values.contains(where: { $0.altitude == altitude }) {
            return UInt64(NTStatus.fltInstanceAltitudeCollision)
        }
        guard state.registryCallbacks.count < 100 else { return UInt64(NTStatus.insufficientResources) }
        let cookie = state.nextCookie
        state.nextCookie &+= 1
        state.registryCallbacks[cookie] = (function, context, altitude)
        try kernel.writeU64(cookieOut, cookie)
        // RegNtPreOpenKeyEx (26) with a REG_OPEN_KEY_INFORMATION.
        kernel.queue(DeferredRoutine(kind: "RegistryCallback", routine: function,
                                     arguments: [context, 26, try kernel.cbRegistryInfo()]))
        call.note("cookie 0x\(String(cookie, radix: 16))" + (altitude.map { ", altitude \($0)" } ?? ""))
        return UInt64(NTStatus.success)
    }

    /// CmCallbackGetKeyObjectID(Cookie, Object, *ObjectID, *ObjectName).
    static func cmKeyObjectId(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, cookiePointer = try call.arg(0), object = try call.arg(1)
        let idOut = try call.arg(2), nameOut = try call.arg(3)
        guard cookiePointer != 0, kernel.callbackState.registryCallbacks[try kernel.readU64(cookiePointer)] != nil,
              object != 0 else { return UInt64(NTStatus.invalidParameter) }
        guard let record = try kernel.obModel().records[object], record.kind == "Key" else {
            return UInt64(NTStatus.notFound)
        }
        if idOut != 0 { try kernel.writeU64(idOut, object) }
        if nameOut != 0 {
            try kernel.writeU64(nameOut, try kernel.makeUnicodeString(record.name ?? "\\REGISTRY", name: "key object name"))
        }
        return UInt64(NTStatus.success)
    }

    /// ObRegisterCallbacks(CallbackRegistration, *RegistrationHandle).
    static func obRegister(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel(), state = kernel.callbackState
        let registration = try call.arg(0), handleOut = try call.arg(1)
        typealias R = Layout.ObCallbackRegistration
        guard registration != 0, handleOut != 0 else { return UInt64(NTStatus.invalidParameter) }
        let version = try kernel.readU16(registration &+ UInt64(R.version))
        let count = Int(try kernel.readU16(registration &+ UInt64(R.operationRegistrationCount)))
        let altitude = try kernel.readUnicodeString(registration &+ UInt64(R.altitude)) ?? ""
        let context = try kernel.readU64(registration &+ UInt64(R.registrationContext))
        let operations = try kernel.readU64(registration &+ UInt64(R.operationRegistration))
        call.note("version 0x\(String(version, radix: 16)), \(count) operation(s), altitude \(altitude)")
        guard version == R.filterVersion, (1...64).contains(count), !altitude.isEmpty, operations != 0 else {
            return UInt64(NTStatus.invalidParameter)
        }
        var queued: [DeferredRoutine] = []
        for index in 0..<count {
            let op = operations &+ UInt64(index * R.opSize)
            let typePointer = try kernel.readU64(op &+ UInt64(R.opObjectType))
            guard typePointer != 0 else { return UInt64(NTStatus.invalidParameter) }
            let type = try kernel.readU64(typePointer)
            let kind = model.wildcardTypes.contains(type) ? "Process" : model.typeKinds[type]
            let mask = try kernel.readU32(op &+ UInt64(R.opOperations))
            let pre = try kernel.readU64(op &+ UInt64(R.opPreOperation)), post = try kernel.readU64(op &+ UInt64(R.opPostOperation))
            // Only process, thread and desktop objects support callbacks.
            guard let kind, ["Process", "Thread", "Desktop"].contains(kind), mask != 0, mask & ~3 == 0,
                  pre != 0 || post != 0 else { return UInt64(NTStatus.invalidParameter) }
            // Each routine must live in an image linked with /INTEGRITYCHECK (Callbacks+Integrity.swift).
            for routine in [pre, post] where routine != 0 {
                guard try kernel.verifyCallbackFunction(call, routine) else { return UInt64(NTStatus.accessDenied) }
            }
            let operation: UInt32 = mask & 1 != 0 ? 1 : 2
            if pre != 0 {
                let info = try kernel.cbOperationInformation(kind: kind, type: type, operation: operation, post: false)
                queued.append(DeferredRoutine(kind: "ObjectCallback", routine: pre, arguments: [context, info]))
            }
            if post != 0 {
                let info = try kernel.cbOperationInformation(kind: kind, type: type, operation: operation, post: true)
                queued.append(DeferredRoutine(kind: "ObjectPostCallback", routine: post, arguments: [context, info]))
            }
        }
        guard !state.objectCallbacks.values.contains(altitude) else {
            return UInt64(NTStatus.fltInstanceAltitudeCollision)
        }
        let handle = try kernel.heap.allocate(0x40, name: "OB callback registration")
        state.objectCallbacks[handle] = altitude
        try kernel.writeU64(handleOut, handle)
        queued.forEach(kernel.queue)
        return UInt64(NTStatus.success)
    }

    /// ExCreateCallback(*CallbackObject, ObjectAttributes, Create, AllowMultipleCallbacks).
    static func exCreate(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, state = kernel.callbackState, model = try kernel.obModel()
        let out = try call.arg(0), create = try call.arg32(2) & 0xFF != 0, multiple = try call.arg32(3) & 0xFF != 0
        try kernel.cbPredefinedCallbackObjects()
        let name = try kernel.obAttributesName(try call.arg(1))
        call.note(name ?? "(unnamed)")
        if let name, let existing = state.callbackObjects.first(where: { Kernel.obCanonical($0.value.name) == Kernel.obCanonical(name) }) {
            model.records[existing.key]?.references += 1
            try kernel.writeU64(out, existing.key)
            return UInt64(NTStatus.success)
        }
        guard create else { return UInt64(NTStatus.objectNameNotFound) }
        let object = try kernel.cbCallbackObject(name: name, multiple: multiple)
        model.records[object]?.references += 1
        try kernel.writeU64(out, object)
        return UInt64(NTStatus.success)
    }

    /// ExRegisterCallback(CallbackObject, CallbackFunction, CallbackContext) -> registration handle or NULL.
    static func exRegister(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, state = kernel.callbackState
        let object = try call.arg(0), function = try call.arg(1), context = try call.arg(2)
        guard let callbackObject = state.callbackObjects[object], function != 0 else { return 0 }
        if !callbackObject.multiple, state.exRegistrations.values.contains(where: { $0.object == object }) { return 0 }
        let registration = try kernel.heap.allocate(0x30, name: "callback registration")
        state.exRegistrations[registration] = (object, function, context)
        // \Callback\PowerState: PO_CB_AC_STATUS (0), TRUE = on AC power; others: no arguments.
        let power = Kernel.obCanonical(callbackObject.name) == "\\callback\\powerstate"
        kernel.queue(DeferredRoutine(kind: "ExCallback", routine: function, arguments: [context, 0, power ? 1 : 0]))
        call.note(callbackObject.name)
        return registration
    }

    static func shutdown(_ call: KernelCall, lastChance: Bool) throws -> UInt64 {
        let device = try call.arg(0)
        guard device != 0 else { return UInt64(NTStatus.invalidParameter) }
        call.kernel.callbackState.shutdownDevices[device] = lastChance
        call.kernel.queue(DeferredRoutine(kind: "Shutdown", routine: 0, arguments: [device]))
        return UInt64(NTStatus.success)
    }

    /// KeRegisterBugCheckCallback(CallbackRecord, CallbackRoutine, Buffer, Length, Component) -> BOOLEAN.
    static func bugCheckRegister(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, record = try call.arg(0), routine = try call.arg(1)
        let buffer = try call.arg(2), length = try call.arg32(3), component = try call.arg(4)
        typealias B = Layout.BugCheckCallbackRecord
        guard record != 0, routine != 0, try kernel.readU8(record &+ UInt64(B.state)) == B.bufferEmpty else { return 0 }
        try kernel.writeU64(record &+ UInt64(B.callbackRoutine), routine)
        try kernel.writeU64(record &+ UInt64(B.buffer), buffer)
        try kernel.writeU32(record &+ UInt64(B.length), length)
        try kernel.writeU64(record &+ UInt64(B.component), component)
        try kernel.writeU64(record &+ UInt64(B.checksum), routine &+ buffer &+ UInt64(length) &+ component)
        try kernel.writeU8(record &+ UInt64(B.state), B.bufferInserted)
        kernel.callbackState.bugCheckRecords.insert(record)
        kernel.queue(DeferredRoutine(kind: "BugCheckCallback", routine: routine, arguments: [buffer, UInt64(length)]))
        return 1
    }

    /// KeRegisterBugCheckReasonCallback(CallbackRecord, CallbackRoutine, Reason, Component) -> BOOLEAN.
    static func bugCheckReasonRegister(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, record = try call.arg(0), routine = try call.arg(1)
        let reason = try call.arg32(2), component = try call.arg(3)
        typealias B = Layout.BugCheckCallbackRecord
        // KbCallbackSecondaryDumpData 2 … KbCallbackTriageDumpData 7 (with the size of their data).
        let dataSizes: [UInt32: Int] = [1: 0x10, 2: 0x30, 3: 0x20, 4: 0x28, 5: 0x40, 6: 0x28, 7: 0x40]
        guard record != 0, routine != 0, let dataSize = dataSizes[reason],
              try kernel.readU8(record &+ UInt64(B.reasonState)) == B.bufferEmpty else { return 0 }
        try kernel.writeU64(record &+ UInt64(B.reasonCallbackRoutine), routine)
        try kernel.writeU64(record &+ UInt64(B.reasonComponent), component)
        try kernel.writeU64(record &+ UInt64(B.reasonChecksum), routine &+ UInt64(reason) &+ component)
        try kernel.writeU32(record &+ UInt64(B.reason), reason)
        try kernel.writeU8(record &+ UInt64(B.reasonState), B.bufferInserted)
        kernel.callbackState.bugCheckRecords.insert(record)
        let data = try kernel.heap.allocate(0x1000 + dataSize, name: "bug check reason data")
        if reason == 2 { // KBUGCHECK_SECONDARY_DUMP_DATA: InBuffer, InBufferLength, MaximumAllowed
            try kernel.writeU64(data, data &+ 0x100)
            try kernel.writeU32(data &+ 8, 0xF00)
            try kernel.writeU32(data &+ 0xC, 0xF00)
        }
        kernel.queue(DeferredRoutine(kind: "BugCheckReasonCallback", routine: routine,
                                     arguments: [UInt64(reason), record, data, UInt64(dataSize)]))
        return 1
    }

    static func bugCheckDeregister(_ call: KernelCall, stateOffset: Int) throws -> UInt64 {
        let kernel = call.kernel, record = try call.arg(0)
        guard record != 0, kernel.callbackState.bugCheckRecords.remove(record) != nil else { return 0 }
        try kernel.writeU8(record &+ UInt64(stateOffset), Layout.BugCheckCallbackRecord.bufferEmpty)
        return 1
    }
}

extension Kernel {
    /// A callback object (kind "Callback") in the namespace.
    func cbCallbackObject(name: String?, multiple: Bool) throws -> UInt64 {
        let object = try obAllocate(kind: "Callback", bodySize: 0x40, name: name)
        try obModel().records[object]?.inserted = name != nil
        callbackState.callbackObjects[object] = (name ?? "", multiple)
        return object
    }

    /// \Callback\SetSystemTime, \Callback\PowerState, \Callback\ProcessorAdd exist from boot.
    func cbPredefinedCallbackObjects() throws {
        guard callbackState.callbackObjects.isEmpty else { return }
        for name in ["SetSystemTime", "PowerState", "ProcessorAdd"] {
            _ = try cbCallbackObject(name: "\\Callback\\" + name, multiple: true)
        }
    }

    /// REG_OPEN_KEY_INFORMATION for RegNtPreOpenKeyEx of HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run.
    func cbRegistryInfo() throws -> UInt64 {
        let state = callbackState
        if state.registryInfo != 0 { return state.registryInfo }
        typealias R = Layout.RegCreateKeyInformation
        let info = try heap.allocate(R.size &+ 0x20, name: "REG_OPEN_KEY_INFORMATION")
        let root = try obAllocate(kind: "Key", bodySize: 0x40, name: "\\REGISTRY\\MACHINE")
        let name = try makeUnicodeString("\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                                         name: "CompleteName")
        try writeU64(info &+ UInt64(R.completeName), name)
        try writeU64(info &+ UInt64(R.rootObject), root)
        try writeU64(info &+ UInt64(R.objectType), try obModel().typeObjects["Key"] ?? 0)
        try writeU32(info &+ UInt64(R.desiredAccess), 0x2_0019) // KEY_READ
        try writeU64(info &+ UInt64(R.disposition), info &+ UInt64(R.size))
        try writeU64(info &+ UInt64(R.resultObject), info &+ UInt64(R.size) &+ 8)
        state.registryInfo = info
        return info
    }

    /// OB_PRE/POST_OPERATION_INFORMATION for a user-mode open of lsass.exe (or its thread) with full access.
    func cbOperationInformation(kind: String, type: UInt64, operation: UInt32, post: Bool) throws -> UInt64 {
        typealias O = Layout.ObOperationInformation
        let model = try obModel()
        let lsass = model.process(pid: 0x2E4), explorer = model.process(pid: 0x1130)
        let object: UInt64
        switch kind {
        case "Thread": object = lsass?.thread ?? processor.thread
        case "Desktop": object = try obAllocate(kind: "Desktop", bodySize: 0x40, name: "\\Sessions\\1\\Windows\\WindowStations\\WinSta0\\Default")
        default: object = lsass?.eprocess ?? processor.process
        }
        let info = try heap.allocate(O.postSize + O.parametersSize, name: "OB_OPERATION_INFORMATION")
        let parameters = info &+ UInt64(O.postSize)
        try writeU32(info &+ UInt64(O.operation), operation)
        try writeU32(info &+ UInt64(O.flags), 0) // not a kernel handle
        try writeU64(info &+ UInt64(O.object), object)
        try writeU64(info &+ UInt64(O.objectType), type)
        let access: UInt32 = 0x1F_FFFF // PROCESS_ALL_ACCESS / THREAD_ALL_ACCESS
        if post {
            try writeU32(info &+ UInt64(O.postReturnStatus), NTStatus.success)
            try writeU64(info &+ UInt64(O.postParameters), parameters)
            try writeU32(parameters, access) // GrantedAccess
        } else {
            try writeU64(info &+ UInt64(O.preParameters), parameters)
            try writeU32(parameters &+ UInt64(O.desiredAccess), access)
            try writeU32(parameters &+ UInt64(O.originalDesiredAccess), access)
            if operation == 2 {
                try writeU64(parameters &+ UInt64(O.sourceProcess), explorer?.eprocess ?? 0)
                try writeU64(parameters &+ UInt64(O.targetProcess), explorer?.eprocess ?? 0)
            }
        }
        return info
    }
}
