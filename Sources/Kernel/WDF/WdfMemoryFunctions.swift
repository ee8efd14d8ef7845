import Memory

/// WDFMEMORY and WDFLOOKASIDE, and the DDIs that return framework memory
/// (property and registry queries). Each takes a POOL_TYPE, so each is subject
/// to Driver Verifier's executable-pool check (0xC4 / 0x2000), with the same
/// parameters as ExAllocatePoolWithTag.
enum WdfMemoryFunctions {
    static let handlers: [KernelExport] = [
        // WdfMemoryCreate(Globals, Attributes, PoolType, PoolTag, BufferSize, *Memory, *Buffer)
        .kmdf("WdfMemoryCreate") { call in
            try create(call, attributes: call.arg(1), poolType: call.arg(2), tag: call.arg32(3), size: call.arg(4),
                       memoryOut: call.arg(5), bufferOut: call.arg(6))
        },
        // WdfMemoryCreatePreallocated(Globals, Attributes, Buffer, BufferSize, *Memory)
        .kmdf("WdfMemoryCreatePreallocated") { call in
            let memory = try call.kernel.wdfCreate("WDFMEMORY", attributes: call.arg(1), defaultParent: call.kernel.wdf.driver)
            memory["buffer"] = try call.arg(2)
            memory["size"] = try call.arg(3)
            try call.kernel.writeU64(call.arg(4), memory.handle)
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfMemoryAssignBuffer") { call in
            let memory = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFMEMORY")
            memory["buffer"] = try call.arg(2)
            memory["size"] = try call.arg(3)
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfMemoryGetBuffer") { call in
            let memory = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFMEMORY")
            if try call.arg(2) != 0 { try call.kernel.writeU64(call.arg(2), memory["size"]) }
            return memory["buffer"]
        },
        // WdfMemoryCopyToBuffer(Globals, SourceMemory, SourceOffset, Buffer, NumBytesToCopyTo)
        .kmdf("WdfMemoryCopyToBuffer") { call in
            try copy(call, memory: call.arg(1), offset: call.arg(2), buffer: call.arg(3), count: call.arg(4), toMemory: false)
        },
        // WdfMemoryCopyFromBuffer(Globals, DestinationMemory, DestinationOffset, Buffer, NumBytesToCopyFrom)
        .kmdf("WdfMemoryCopyFromBuffer") { call in
            try copy(call, memory: call.arg(1), offset: call.arg(2), buffer: call.arg(3), count: call.arg(4), toMemory: true)
        },
        // WdfLookasideListCreate(Globals, LookasideAttributes, BufferSize, PoolType, MemoryAttributes, PoolTag, *Lookaside)
        .kmdf("WdfLookasideListCreate") { call in
            let kernel = call.kernel
            let size = try call.arg(2), poolType = try call.arg(3) & 0xFFFF_FFFF, tag = try call.arg32(5)
            try checkPool(call, poolType: poolType, tag: tag, what: "lookaside list")
            guard size > 0, size <= PoolArea.maxAllocation else { return UInt64(NTStatus.invalidParameter) }
            let list = try kernel.wdfCreate("WDFLOOKASIDE", attributes: call.arg(1), defaultParent: kernel.wdf.driver)
            list["size"] = size
            list["poolType"] = poolType
            list["tag"] = UInt64(tag)
            list["memoryAttributes"] = try call.arg(4) == 0 ? 0 : WdfDeviceFunctions.copyAttributes(kernel, call.arg(4))
            try kernel.writeU64(call.arg(6), list.handle)
            return UInt64(NTStatus.success)
        },
        // WdfMemoryCreateFromLookaside(Globals, Lookaside, *Memory)
        .kmdf("WdfMemoryCreateFromLookaside") { call in
            let kernel = call.kernel
            let list = try kernel.wdfObject(call.arg(1), call, kind: "WDFLOOKASIDE")
            let buffer = try kernel.allocatePool(size: list["size"], tag: UInt32(truncatingIfNeeded: list["tag"]),
                                                 poolType: list["poolType"],
                                                 executable: DriverVerifier.isExecutable(poolType: list["poolType"]))
            guard buffer != 0 else { return UInt64(NTStatus.insufficientResources) }
            let memory = try kernel.wdfCreate("WDFMEMORY", attributes: list["memoryAttributes"], defaultParent: list.handle)
            memory["buffer"] = buffer
            memory["size"] = list["size"]
            memory["ownsPool"] = 1
            try kernel.writeU64(call.arg(2), memory.handle)
            return UInt64(NTStatus.success)
        },
        // WdfDeviceAllocAndQueryProperty(Globals, Device, DeviceProperty, PoolType, PropertyMemoryAttributes, *PropertyMemory)
        .kmdf("WdfDeviceAllocAndQueryProperty") { call in
            try property(call, poolType: call.arg(3), attributes: call.arg(4), out: call.arg(5), typeOut: 0)
        },
        // WdfDeviceAllocAndQueryPropertyEx(Globals, Device, DeviceProperty, PoolType, Attributes, *Memory, *Type)
        .kmdf("WdfDeviceAllocAndQueryPropertyEx") { call in
            try property(call, poolType: call.arg(3), attributes: call.arg(4), out: call.arg(5), typeOut: call.arg(6))
        },
        // WdfFdoInitAllocAndQueryProperty(Globals, DeviceInit, DeviceProperty, PoolType, Attributes, *Memory)
        .kmdf("WdfFdoInitAllocAndQueryProperty") { call in
            try property(call, poolType: call.arg(3), attributes: call.arg(4), out: call.arg(5), typeOut: 0)
        },
        .kmdf("WdfFdoInitAllocAndQueryPropertyEx") { call in
            try property(call, poolType: call.arg(3), attributes: call.arg(4), out: call.arg(5), typeOut: call.arg(6))
        },
        // WdfIoTargetAllocAndQueryTargetProperty(Globals, IoTarget, DeviceProperty, PoolType, Attributes, *Memory)
        .kmdf("WdfIoTargetAllocAndQueryTargetProperty") { call in
            try property(call, poolType: call.arg(3), attributes: call.arg(4), out: call.arg(5), typeOut: 0)
        },
        // WdfRegistryQueryMemory(Globals, Key, ValueName, PoolType, MemoryAttributes, *Memory, *ValueType)
        .kmdf("WdfRegistryQueryMemory") { call in
            let poolType = try call.arg(3) & 0xFFFF_FFFF
            call.note("value \((try? call.kernel.readUnicodeString(call.arg(2))).flatMap { $0 } ?? "?")")
            try checkPool(call, poolType: poolType, tag: 0, what: "registry value memory")
            return UInt64(WdfStatus.objectNameNotFound)
        },
    ]

    /// Driver Verifier's check of a POOL_TYPE argument.
    static func checkPool(_ call: KernelCall, poolType: UInt64, tag: UInt32, what: String) throws {
        let name = DriverVerifier.poolTypeName(poolType)
        call.note("\(name), tag '\(MemoryOwner.tagText(tag))'")
        guard DriverVerifier.isExecutable(poolType: poolType) else { return }
        let function = call.function.split(separator: "!").last.map(String.init) ?? call.function
        try call.kernel.verifierViolation(
            call, subcode: 0x2000, title: "executable pool for \(what) (\(function), \(name))",
            p3: poolType, p4: UInt64(tag),
            fix: "pass NonPagedPoolNx (or PagedPool) as the PoolType of \(function)",
            details: [(key: "poolType", value: name), (key: "tag", value: MemoryOwner.tagText(tag))])
    }

    /// WdfMemoryCreate: pool of `size` bytes owned by a new WDFMEMORY (parent: the attributes' or the driver).
    static func create(_ call: KernelCall, attributes: UInt64, poolType: UInt64, tag: UInt32, size: UInt64,
                       memoryOut: UInt64, bufferOut: UInt64) throws -> UInt64 {
        let kernel = call.kernel
        let type = poolType & 0xFFFF_FFFF
        call.note("\(size) bytes")
        try checkPool(call, poolType: type, tag: tag, what: "framework memory")
        guard size > 0, memoryOut != 0 else { return UInt64(NTStatus.invalidParameter) }
        let buffer = try kernel.allocatePool(size: size, tag: tag, poolType: type,
                                             executable: DriverVerifier.isExecutable(poolType: type))
        guard buffer != 0 else { return UInt64(NTStatus.insufficientResources) }
        let memory: WdfObject
        do {
            memory = try kernel.wdfCreate("WDFMEMORY", attributes: attributes, defaultParent: kernel.wdf.driver)
        } catch let error as WdfError {
            kernel.freePool(buffer)
            return UInt64(error.status)
        }
        memory["buffer"] = buffer
        memory["size"] = size
        memory["ownsPool"] = 1
        try kernel.writeU64(memoryOut, memory.handle)
        if bufferOut != 0 { try kernel.writeU64(bufferOut, buffer) }
        return UInt64(NTStatus.success)
    }

    static func copy(_ call: KernelCall, memory handle: UInt64, offset: UInt64, buffer: UInt64, count: UInt64,
                     toMemory: Bool) throws -> UInt64 {
        let kernel = call.kernel
        let memory = try kernel.wdfObject(handle, call, kind: "WDFMEMORY")
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= memory["size"], count <= 64 << 20 else { return UInt64(NTStatus.bufferTooSmall) }
        let at = memory["buffer"] &+ offset
        if toMemory {
            try kernel.writeBytes(at, try kernel.readBytes(buffer, count: Int(count)))
        } else {
            try kernel.writeBytes(buffer, try kernel.readBytes(at, count: Int(count)))
        }
        return UInt64(NTStatus.success)
    }

    /// The property queries: the model's devices have no PnP properties beyond an empty
    /// string, which is returned in a new WDFMEMORY of the requested pool type.
    static func property(_ call: KernelCall, poolType: UInt64, attributes: UInt64, out: UInt64, typeOut: UInt64) throws -> UInt64 {
        let type = poolType & 0xFFFF_FFFF
        let result = try create(call, attributes: attributes, poolType: type, tag: 0x7246_7846, size: 2,
                                memoryOut: out, bufferOut: 0)
        if typeOut != 0, NTStatus.isSuccess(UInt32(truncatingIfNeeded: result)) {
            try call.kernel.writeU32(typeOut, 0x12) // DEVPROP_TYPE_STRING
        }
        return result
    }
}
