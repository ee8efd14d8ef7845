/// WDFQUEUE and WDFREQUEST: queues (default or per request type; sequential,
/// parallel and manual dispatch — one CPU, so the first two behave alike)
/// present each IRP as a WDFREQUEST to EvtIoDeviceControl / EvtIoRead /
/// EvtIoWrite / EvtIoInternalDeviceControl / EvtIoDefault, or keep it for
/// WdfIoQueueRetrieveNextRequest; the driver reads its buffers and parameters
/// and completes it, which completes the IRP.
enum WdfQueueFunctions {
    static let manualDispatch: UInt32 = 3
    static let maxQueued = 4096

    static let handlers: [KernelExport] = [
        .kmdf("WdfIoQueueCreate") { try createQueue($0) },
        .kmdf("WdfDeviceEnqueueRequest") { try enqueueFromCallerContext($0) },
        // WdfRequestProbeAndLockUserBufferFor{Read,Write}(Globals, Request, Buffer, Length, *MemoryObject)
        .kmdf("WdfRequestProbeAndLockUserBufferForRead") { try probeAndLock($0) },
        .kmdf("WdfRequestProbeAndLockUserBufferForWrite") { try probeAndLock($0) },
        .kmdf("WdfIoQueueGetDevice") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFQUEUE")["device"] },
        .kmdf("WdfIoQueueRetrieveNextRequest") { call in
            let queue = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFQUEUE")
            guard !queue.items.isEmpty else { return UInt64(WdfStatus.noMoreEntries) }
            try call.kernel.writeU64(call.arg(2), queue.items.removeFirst())
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfIoQueueRetrieveRequestByFileObject") { call in
            let kernel = call.kernel
            let queue = try kernel.wdfObject(call.arg(1), call, kind: "WDFQUEUE")
            let file = try call.arg(2)
            guard let index = queue.items.firstIndex(where: { kernel.wdf.objects[$0]?["file"] == file }) else {
                return UInt64(WdfStatus.noMoreEntries)
            }
            try kernel.writeU64(call.arg(3), queue.items.remove(at: index))
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfIoQueueFindRequest") { _ in UInt64(WdfStatus.noMoreEntries) }.stub("queues hold no pending requests: no more entries"),
        .kmdf("WdfIoQueueStart") { _ in 0 }.stub("queues are always started"),
        .kmdf("WdfIoQueueStop") { _ in 0 }.stub("queues are always started"),
        .kmdf("WdfIoQueueStopSynchronously") { _ in 0 }.stub("queues are always started"),
        .kmdf("WdfIoQueueDrain") { _ in 0 }.stub("queues hold no pending requests"),
        .kmdf("WdfIoQueueDrainSynchronously") { _ in 0 }.stub("queues hold no pending requests"),
        .kmdf("WdfIoQueuePurge") { try purge($0) },
        .kmdf("WdfIoQueuePurgeSynchronously") { try purge($0) },
        .kmdf("WdfIoQueueReadyNotify") { _ in UInt64(NTStatus.success) }.stub("queues hold no pending requests, so the callback never runs"),
        .kmdf("WdfIoQueueGetState") { call in
            let queue = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFQUEUE")
            let count = UInt32(clamping: queue.items.count)
            if try call.arg(2) != 0 { try call.kernel.writeU32(call.arg(2), count) }
            if try call.arg(3) != 0 { try call.kernel.writeU32(call.arg(3), 0) }
            return 0x1 // WdfIoQueueAcceptRequests
        },
        .kmdf("WdfRequestComplete") { try complete($0, status: $0.arg32(2), information: nil) },
        .kmdf("WdfRequestCompleteWithInformation") { try complete($0, status: $0.arg32(2), information: $0.arg(3)) },
        .kmdf("WdfRequestCompleteWithPriorityBoost") { try complete($0, status: $0.arg32(2), information: nil) },
        .kmdf("WdfRequestSetInformation") { call in
            let request = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
            try call.kernel.writeU64(request["irp"] &+ UInt64(Layout.IRP.ioStatusInformation), call.arg(2))
            return 0
        },
        .kmdf("WdfRequestGetInformation") { call in
            let request = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
            return try call.kernel.readU64(request["irp"] &+ UInt64(Layout.IRP.ioStatusInformation))
        },
        .kmdf("WdfRequestGetStatus") { call in
            let request = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
            return UInt64(try call.kernel.readU32(request["irp"] &+ UInt64(Layout.IRP.ioStatusStatus)))
        },
        .kmdf("WdfRequestRetrieveInputBuffer") { try retrieveBuffer($0, output: false) },
        .kmdf("WdfRequestRetrieveOutputBuffer") { try retrieveBuffer($0, output: true) },
        .kmdf("WdfRequestRetrieveInputMemory") { try retrieveMemory($0, output: false) },
        .kmdf("WdfRequestRetrieveOutputMemory") { try retrieveMemory($0, output: true) },
        .kmdf("WdfRequestRetrieveInputWdmMdl") { try retrieveMdl($0, output: false) },
        .kmdf("WdfRequestRetrieveOutputWdmMdl") { try retrieveMdl($0, output: true) },
        .kmdf("WdfRequestRetrieveUnsafeUserInputBuffer") { try unsafeUserBuffer($0, output: false) },
        .kmdf("WdfRequestRetrieveUnsafeUserOutputBuffer") { try unsafeUserBuffer($0, output: true) },
        .kmdf("WdfRequestGetParameters") { try parameters($0) },
        .kmdf("WdfRequestWdmGetIrp") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")["irp"] },
        .kmdf("WdfRequestGetFileObject") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")["file"] },
        .kmdf("WdfRequestGetIoQueue") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")["queue"] },
        .kmdf("WdfRequestGetRequestorMode") { call in
            let request = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
            return UInt64(try call.kernel.readU8(request["irp"] &+ UInt64(Layout.IRP.requestorMode)))
        },
        .kmdf("WdfRequestIsCanceled") { _ in 0 }.stub("requests are never cancelled in a run"),
        .kmdf("WdfRequestMarkCancelable") { _ in 0 }.stub("requests are never cancelled in a run"),
        .kmdf("WdfRequestMarkCancelableEx") { _ in UInt64(NTStatus.success) }.stub("requests are never cancelled in a run"),
        .kmdf("WdfRequestUnmarkCancelable") { _ in UInt64(NTStatus.success) }.stub("requests are never cancelled in a run"),
        .kmdf("WdfRequestStopAcknowledge") { _ in 0 }.stub("queues are never stopped in a run"),
        .kmdf("WdfRequestRequeue") { call in
            let request = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
            try enqueue(call.kernel, request: request, queue: request["queue"])
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfRequestForwardToIoQueue") { call in
            let request = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
            let queue = try call.kernel.wdfObject(call.arg(2), call, kind: "WDFQUEUE")
            try enqueue(call.kernel, request: request, queue: queue.handle)
            return UInt64(NTStatus.success)
        },
    ]

    /// WdfIoQueueCreate(Globals, Device, Config, QueueAttributes, *Queue).
    static func createQueue(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        typealias Q = WdfLayout.IoQueueConfig
        let device = try kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")
        let config = try call.arg(2), attributes = try call.arg(3), out = try call.arg(4)
        guard config != 0 else { return UInt64(NTStatus.invalidParameter) }
        let dispatch = try kernel.readU32(config &+ UInt64(Q.dispatchType))
        let isDefault = try kernel.readU8(config &+ UInt64(Q.defaultQueue)) != 0
        guard (1...3).contains(dispatch) else { return UInt64(NTStatus.invalidParameter) }
        if isDefault, device["defaultQueue"] != 0 { return UInt64(WdfStatus.invalidDeviceState) }
        let queue = try kernel.wdfCreate("WDFQUEUE", attributes: attributes, defaultParent: device.handle)
        queue["device"] = device.handle
        queue["dispatch"] = UInt64(dispatch)
        queue["allowZeroLength"] = UInt64(try kernel.readU8(config &+ UInt64(Q.allowZeroLength)))
        for (key, offset) in [("ioDefault", Q.ioDefault), ("ioRead", Q.ioRead), ("ioWrite", Q.ioWrite),
                              ("ioDeviceControl", Q.ioDeviceControl), ("ioInternalDeviceControl", Q.ioInternalDeviceControl)] {
            queue[key] = try kernel.readU64(config &+ UInt64(offset))
        }
        if isDefault { device["defaultQueue"] = queue.handle }
        let callbacks = ["ioDefault", "ioRead", "ioWrite", "ioDeviceControl", "ioInternalDeviceControl"].filter { queue[$0] != 0 }
        call.note(["", "sequential", "parallel", "manual"][Int(dispatch)] + (isDefault ? " default queue" : " queue")
                  + (callbacks.isEmpty ? "" : ": " + callbacks.map { "Evt" + $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: ", ")))
        if out != 0 { try kernel.writeU64(out, queue.handle) }
        return UInt64(NTStatus.success)
    }

    /// A WDFREQUEST for `irp` (with the device's request attributes).
    static func makeRequest(_ kernel: Kernel, irp: UInt64, device: WdfObject, queue: UInt64) throws -> WdfObject {
        let request = try kernel.wdfCreate("WDFREQUEST", attributes: device["requestAttributes"], defaultParent: 0)
        request["irp"] = irp
        request["queue"] = queue
        request["device"] = device.handle
        let stack = try kernel.readU64(irp &+ UInt64(Layout.IRP.currentStackLocation))
        let fileObject = try kernel.readU64(stack &+ UInt64(Layout.IoStackLocation.fileObject))
        request["file"] = kernel.wdf.fileByObject[fileObject] ?? 0
        kernel.wdf.requestByIrp[irp] = request.handle
        return request
    }

    /// Presents an I/O IRP: to EvtIoInCallerContext first when the driver set one (it hands the
    /// request on with WdfDeviceEnqueueRequest), else to the queue for its type (or the default queue).
    static func present(_ call: KernelCall, device: WdfObject, irp: UInt64, major: Int, stack: UInt64) throws -> UInt64 {
        let kernel = call.kernel
        let request = try makeRequest(kernel, irp: irp, device: device, queue: 0)
        let inCallerContext = device["inCallerContext"]
        if inCallerContext != 0 {
            call.note("EvtIoInCallerContext")
            return try kernel.runGuestStep(call, .call(inCallerContext, [device.handle, request.handle], then: { _ in
                .finish(UInt64(try WdfDispatch.status(kernel, irp)))
            }))
        }
        return try deliver(call, device: device, request: request)
    }

    /// WdfDeviceEnqueueRequest(Globals, Device, Request).
    static func enqueueFromCallerContext(_ call: KernelCall) throws -> UInt64 {
        let device = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDEVICE")
        let request = try call.kernel.wdfObject(call.arg(2), call, kind: "WDFREQUEST")
        guard request["queue"] == 0 else { return UInt64(WdfStatus.invalidDeviceState) }
        let status = try deliver(call, device: device, request: request, enqueued: true)
        return status
    }

    /// Gives a request to its queue: kept (manual queue) or presented to the queue's callback.
    /// `enqueued`: called from WdfDeviceEnqueueRequest, whose own result is STATUS_SUCCESS.
    static func deliver(_ call: KernelCall, device: WdfObject, request: WdfObject, enqueued: Bool = false) throws -> UInt64 {
        let kernel = call.kernel
        let irp = request["irp"]
        typealias S = Layout.IoStackLocation
        let stack = try kernel.readU64(irp &+ UInt64(Layout.IRP.currentStackLocation))
        let major = Int(try kernel.readU8(stack &+ UInt64(S.majorFunction)))
        let queueHandle = device.values["queue:\(major)"] ?? device["defaultQueue"]
        guard let queue = kernel.wdf.objects[queueHandle] else {
            call.note("no queue for IRP_MJ 0x\(String(major, radix: 16))")
            kernel.wdf.requestByIrp[irp] = nil
            kernel.wdf.objects[request.handle] = nil
            let status = try WdfDispatch.complete(kernel, irp, status: NTStatus.invalidDeviceRequest)
            return enqueued ? UInt64(NTStatus.success) : status
        }
        request["queue"] = queue.handle
        let finished: (UInt64) -> UInt64 = { enqueued ? UInt64(NTStatus.success) : $0 }
        var routine: UInt64 = 0
        var arguments: [UInt64] = [queue.handle, request.handle]
        switch major {
        case Layout.MajorFunction.deviceControl, Layout.MajorFunction.internalDeviceControl:
            let code = UInt64(try kernel.readU32(stack &+ UInt64(S.ioControlCode)))
            let output = UInt64(try kernel.readU32(stack &+ UInt64(S.outputBufferLength)))
            let input = UInt64(try kernel.readU32(stack &+ UInt64(S.inputBufferLength)))
            routine = queue[major == Layout.MajorFunction.deviceControl ? "ioDeviceControl" : "ioInternalDeviceControl"]
            arguments += [output, input, code]
            call.note("IoControlCode 0x\(String(code, radix: 16))")
        case Layout.MajorFunction.read, Layout.MajorFunction.write:
            let length = UInt64(try kernel.readU32(stack &+ UInt64(S.length)))
            if length == 0, queue["allowZeroLength"] == 0 {
                kernel.wdf.requestByIrp[irp] = nil
                kernel.wdf.objects[request.handle] = nil
                return finished(try WdfDispatch.complete(kernel, irp, status: NTStatus.success))
            }
            routine = queue[major == Layout.MajorFunction.read ? "ioRead" : "ioWrite"]
            arguments.append(length)
        default:
            break
        }
        if routine == 0 {
            routine = queue["ioDefault"]
            arguments = [queue.handle, request.handle]
        }
        if UInt32(queue["dispatch"]) == manualDispatch {
            queue.items.append(request.handle)
            call.note("kept in a manual queue")
            return finished(UInt64(NTStatus.pending))
        }
        guard routine != 0 else {
            kernel.wdf.requestByIrp[irp] = nil
            kernel.wdf.objects[request.handle] = nil
            call.note("the queue has no callback for this request type")
            return finished(try WdfDispatch.complete(kernel, irp, status: NTStatus.invalidDeviceRequest))
        }
        return try kernel.runGuestStep(call, .call(routine, arguments, then: { _ in
            .finish(finished(UInt64(try WdfDispatch.status(kernel, irp))))
        }))
    }

    static func enqueue(_ kernel: Kernel, request: WdfObject, queue: UInt64) throws {
        guard let target = kernel.wdf.objects[queue], target.kind == "WDFQUEUE" else { return }
        for other in kernel.wdf.objects.values where other.kind == "WDFQUEUE" { other.items.removeAll { $0 == request.handle } }
        guard target.items.count < maxQueued else { return }
        request["queue"] = queue
        target.items.append(request.handle)
    }

    /// WdfRequestComplete*(Globals, Request, Status[, Information]): completes the IRP, deletes the request.
    static func complete(_ call: KernelCall, status: UInt32, information: UInt64?) throws -> UInt64 {
        let kernel = call.kernel
        let request = try kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
        let irp = request["irp"]
        let info = try information ?? kernel.readU64(irp &+ UInt64(Layout.IRP.ioStatusInformation))
        call.note("\(NTStatus.name(status)), Information \(info)")
        _ = try WdfDispatch.complete(kernel, irp, status: status, information: info)
        for queue in kernel.wdf.objects.values where queue.kind == "WDFQUEUE" { queue.items.removeAll { $0 == request.handle } }
        return try kernel.runGuestStep(call, kernel.wdfDelete(request.handle, then: { .finish(0) }))
    }

    /// WdfIoQueuePurge(Globals, Queue, PurgeComplete, Context): cancels what waits in the queue.
    static func purge(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let queue = try kernel.wdfObject(call.arg(1), call, kind: "WDFQUEUE")
        let waiting = queue.items
        queue.items = []
        for handle in waiting {
            guard let request = kernel.wdf.objects[handle] else { continue }
            _ = try WdfDispatch.complete(kernel, request["irp"], status: NTStatus.cancelled)
            kernel.wdf.requestByIrp[request["irp"]] = nil
            kernel.wdf.objects[handle] = nil
        }
        call.note("\(waiting.count) requests cancelled")
        return 0
    }

    /// Where a request's input or output data is, as KMDF's buffer retrieval finds it (nil: none for this request).
    static func buffer(_ kernel: Kernel, _ request: WdfObject, output: Bool) throws -> (address: UInt64, length: UInt64)? {
        typealias S = Layout.IoStackLocation
        typealias I = Layout.IRP
        let irp = request["irp"]
        let stack = try kernel.readU64(irp &+ UInt64(I.currentStackLocation))
        let major = Int(try kernel.readU8(stack &+ UInt64(S.majorFunction)))
        let systemBuffer = try kernel.readU64(irp &+ UInt64(I.systemBuffer))
        switch major {
        case Layout.MajorFunction.deviceControl, Layout.MajorFunction.internalDeviceControl:
            let method = try kernel.readU32(stack &+ UInt64(S.ioControlCode)) & 3
            let length = UInt64(try kernel.readU32(stack &+ UInt64(output ? S.outputBufferLength : S.inputBufferLength)))
            switch (method, output) {
            case (0, _), (1, false), (2, false): return (systemBuffer, length)
            case (1, true), (2, true): return (try mdlAddress(kernel, irp), length)
            default: return nil
            }
        case Layout.MajorFunction.read, Layout.MajorFunction.write:
            guard output == (major == Layout.MajorFunction.read) else { return nil }
            let length = UInt64(try kernel.readU32(stack &+ UInt64(S.length)))
            if systemBuffer != 0 { return (systemBuffer, length) }
            let mdl = try mdlAddress(kernel, irp)
            return mdl != 0 ? (mdl, length) : nil
        default:
            return nil
        }
    }

    /// The system address of the IRP's MDL (0 when it has none).
    static func mdlAddress(_ kernel: Kernel, _ irp: UInt64) throws -> UInt64 {
        typealias M = Layout.MDL
        let mdl = try kernel.readU64(irp &+ UInt64(Layout.IRP.mdlAddress))
        guard mdl != 0 else { return 0 }
        let mapped = try kernel.readU64(mdl &+ UInt64(M.mappedSystemVa))
        if mapped != 0 { return mapped }
        return try kernel.readU64(mdl &+ UInt64(M.startVa)) &+ UInt64(try kernel.readU32(mdl &+ UInt64(M.byteOffset)))
    }

    /// WdfRequestRetrieve{Input,Output}Buffer(Globals, Request, MinimumRequiredLength, *Buffer, *Length).
    static func retrieveBuffer(_ call: KernelCall, output: Bool) throws -> UInt64 {
        let kernel = call.kernel
        let request = try kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
        let minimum = try call.arg(2), bufferOut = try call.arg(3), lengthOut = try call.arg(4)
        guard let found = try buffer(kernel, request, output: output), found.address != 0 else {
            return UInt64(NTStatus.invalidDeviceRequest)
        }
        call.note("\(found.length) bytes at 0x\(String(found.address, radix: 16))")
        guard found.length > 0, found.length >= minimum else { return UInt64(NTStatus.bufferTooSmall) }
        if bufferOut != 0 { try kernel.writeU64(bufferOut, found.address) }
        if lengthOut != 0 { try kernel.writeU64(lengthOut, found.length) }
        return UInt64(NTStatus.success)
    }

    /// WdfRequestRetrieve{Input,Output}Memory(Globals, Request, *Memory): a WDFMEMORY over the buffer.
    static func retrieveMemory(_ call: KernelCall, output: Bool) throws -> UInt64 {
        let kernel = call.kernel
        let request = try kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
        guard let found = try buffer(kernel, request, output: output), found.address != 0, found.length > 0 else {
            return UInt64(NTStatus.bufferTooSmall)
        }
        let memory = try kernel.wdfCreate("WDFMEMORY", attributes: 0, defaultParent: request.handle)
        memory["buffer"] = found.address
        memory["size"] = found.length
        try kernel.writeU64(call.arg(2), memory.handle)
        return UInt64(NTStatus.success)
    }

    /// WdfRequestRetrieve{Input,Output}WdmMdl(Globals, Request, *Mdl).
    static func retrieveMdl(_ call: KernelCall, output: Bool) throws -> UInt64 {
        let kernel = call.kernel
        let request = try kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
        let mdl = try kernel.readU64(request["irp"] &+ UInt64(Layout.IRP.mdlAddress))
        guard mdl != 0 else { return UInt64(NTStatus.bufferTooSmall) }
        try kernel.writeU64(call.arg(2), mdl)
        return UInt64(NTStatus.success)
    }

    /// WdfRequestRetrieveUnsafeUser{Input,Output}Buffer(Globals, Request, MinimumRequiredLength, *Buffer, *Length):
    /// METHOD_NEITHER's raw user pointers.
    static func unsafeUserBuffer(_ call: KernelCall, output: Bool) throws -> UInt64 {
        let kernel = call.kernel
        let request = try kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
        let irp = request["irp"]
        let stack = try kernel.readU64(irp &+ UInt64(Layout.IRP.currentStackLocation))
        typealias S = Layout.IoStackLocation
        let address = output ? try kernel.readU64(irp &+ UInt64(Layout.IRP.userBuffer))
                             : try kernel.readU64(stack &+ UInt64(S.type3InputBuffer))
        let length = UInt64(try kernel.readU32(stack &+ UInt64(output ? S.outputBufferLength : S.inputBufferLength)))
        guard address != 0, length > 0, length >= (try call.arg(2)) else { return UInt64(NTStatus.bufferTooSmall) }
        if try call.arg(3) != 0 { try kernel.writeU64(call.arg(3), address) }
        if try call.arg(4) != 0 { try kernel.writeU64(call.arg(4), length) }
        return UInt64(NTStatus.success)
    }

    static func probeAndLock(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let request = try kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
        let buffer = try call.arg(2), length = try call.arg(3)
        guard buffer != 0, length > 0, (try? kernel.readBytes(buffer, count: 1)) != nil else {
            return UInt64(NTStatus.accessViolation)
        }
        let memory = try kernel.wdfCreate("WDFMEMORY", attributes: 0, defaultParent: request.handle)
        memory["buffer"] = buffer
        memory["size"] = length
        try kernel.writeU64(call.arg(4), memory.handle)
        return UInt64(NTStatus.success)
    }

    /// WdfRequestGetParameters(Globals, Request, Parameters): WDF_REQUEST_PARAMETERS from the stack location.
    static func parameters(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        typealias P = WdfLayout.RequestParameters
        let request = try kernel.wdfObject(call.arg(1), call, kind: "WDFREQUEST")
        let out = try call.arg(2)
        let stack = try kernel.readU64(request["irp"] &+ UInt64(Layout.IRP.currentStackLocation))
        let major = try kernel.readU8(stack &+ UInt64(Layout.IoStackLocation.majorFunction))
        try kernel.fill(out + 2, count: P.totalSize - 2)
        try kernel.writeU16(out, UInt16(P.totalSize))
        try kernel.writeU8(out &+ UInt64(P.minorFunction), try kernel.readU8(stack &+ UInt64(Layout.IoStackLocation.minorFunction)))
        try kernel.writeU32(out &+ UInt64(P.type), UInt32(major))
        // The parameter union has the same shape in both structures (four pointer-sized slots).
        try kernel.writeBytes(out &+ 8, try kernel.readBytes(stack &+ UInt64(Layout.IoStackLocation.parameters), count: 0x20))
        return 0
    }
}
