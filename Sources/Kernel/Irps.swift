import Memory

/// An I/O request as the I/O manager builds it for a driver's dispatch
/// routine: the IRP with the device stack's stack locations (the top one
/// current), a FILE_OBJECT, and the buffers
/// the transfer method calls for (METHOD_BUFFERED: a system buffer holding the
/// input; IN/OUT_DIRECT: an MDL over the output; NEITHER: raw user pointers).
public struct PreparedIrp: Sendable {
    public var irp: UInt64
    public var stackLocation: UInt64
    /// Where the driver's output lands, to read back after completion.
    public var outputBuffer: UInt64
    public var outputLength: Int
}

/// What a request asks for.
public struct IrpRequest: Sendable {
    public var major: Int
    public var minor: Int = 0
    public var ioControlCode: UInt32 = 0
    public var input: [UInt8] = []
    public var outputLength: Int = 0
    public var fileObject: UInt64 = 0

    public init(major: Int, minor: Int = 0, ioControlCode: UInt32 = 0, input: [UInt8] = [], outputLength: Int = 0,
                fileObject: UInt64 = 0) {
        self.major = major
        self.minor = minor
        self.ioControlCode = ioControlCode
        self.input = input
        self.outputLength = outputLength
        self.fileObject = fileObject
    }
}

extension Kernel {
    /// A FILE_OBJECT opened on `device` (what IRP_MJ_CREATE … IRP_MJ_CLOSE share).
    public func makeFileObject(device: UInt64, name: String) throws -> UInt64 {
        typealias F = Layout.FileObject
        let file = try heap.allocate(F.totalSize, name: "FILE_OBJECT")
        try writeU16(file &+ UInt64(F.type), F.typeValue)
        try writeU16(file &+ UInt64(F.size), UInt16(F.totalSize))
        try writeU64(file &+ UInt64(F.deviceObject), device)
        let nameString = try makeUnicodeString(name, name: "FileName")
        try writeBytes(file &+ UInt64(F.fileName), try readBytes(nameString, count: Layout.UnicodeString.size))
        return file
    }

    /// Builds an IRP for `device` as the I/O manager would for a user-mode caller.
    public func prepareIrp(_ request: IrpRequest, device: UInt64) throws -> PreparedIrp {
        typealias I = Layout.IRP
        typealias S = Layout.IoStackLocation
        let inputLength = min(request.input.count, 1 << 20)
        let outputLength = min(max(request.outputLength, 0), 1 << 20)
        // As many stack locations as the device's stack is deep (DEVICE_OBJECT.StackSize), so the
        // driver can pass the IRP down; the top one is current.
        let stackCount = Int(min(max((try? readU8(device &+ UInt64(Layout.DeviceObject.stackSize))) ?? 1, 1), 64))
        let irp = try heap.allocate(I.totalSize + stackCount * S.totalSize, name: "IRP")
        let stack = irp &+ UInt64(I.totalSize + (stackCount - 1) * S.totalSize)
        try writeU16(irp &+ UInt64(I.type), I.typeValue)
        try writeU16(irp &+ UInt64(I.size), UInt16(I.totalSize + stackCount * S.totalSize))
        try writeU8(irp &+ UInt64(I.stackCount), UInt8(stackCount))
        try writeU8(irp &+ UInt64(I.currentLocation), UInt8(stackCount))
        try writeU8(irp &+ UInt64(I.requestorMode), 1) // UserMode: the request comes from an application
        try writeU64(irp &+ UInt64(I.currentStackLocation), stack)
        try writeU64(irp &+ UInt64(I.thread), processor.thread)
        try writeU64(irp &+ UInt64(I.originalFileObject), request.fileObject)
        try writeU8(stack &+ UInt64(S.majorFunction), UInt8(truncatingIfNeeded: request.major))
        try writeU8(stack &+ UInt64(S.minorFunction), UInt8(truncatingIfNeeded: request.minor))
        try writeU64(stack &+ UInt64(S.deviceObject), device)
        try writeU64(stack &+ UInt64(S.fileObject), request.fileObject)

        var output: UInt64 = 0
        switch request.major {
        case Layout.MajorFunction.deviceControl, Layout.MajorFunction.internalDeviceControl:
            try writeU32(stack &+ UInt64(S.outputBufferLength), UInt32(outputLength))
            try writeU32(stack &+ UInt64(S.inputBufferLength), UInt32(inputLength))
            try writeU32(stack &+ UInt64(S.ioControlCode), request.ioControlCode)
            switch request.ioControlCode & 3 {
            case 0: // METHOD_BUFFERED: one system buffer, input in, output out
                let system = try ioBuffer(max(inputLength, outputLength, 1), contents: request.input)
                try writeU64(irp &+ UInt64(I.systemBuffer), system)
                output = system
            case 1, 2: // METHOD_IN_DIRECT / METHOD_OUT_DIRECT: input buffered, output by MDL
                if inputLength > 0 { try writeU64(irp &+ UInt64(I.systemBuffer), try ioBuffer(inputLength, contents: request.input)) }
                if outputLength > 0 {
                    output = try ioBuffer(outputLength, contents: [])
                    try writeU64(irp &+ UInt64(I.mdlAddress), try describe(output, length: outputLength))
                }
            default: // METHOD_NEITHER: the caller's own pointers
                let input = try ioBuffer(max(inputLength, 1), contents: request.input)
                try writeU64(stack &+ UInt64(S.type3InputBuffer), input)
                output = try ioBuffer(max(outputLength, 1), contents: [])
                try writeU64(irp &+ UInt64(I.userBuffer), output)
            }
        case Layout.MajorFunction.read, Layout.MajorFunction.write:
            let length = request.major == Layout.MajorFunction.write ? inputLength : outputLength
            try writeU32(stack &+ UInt64(S.length), UInt32(length))
            let buffer = try ioBuffer(max(length, 1), contents: request.major == Layout.MajorFunction.write ? request.input : [])
            let flags = try readU32(device &+ UInt64(Layout.DeviceObject.flags))
            if flags & Layout.DeviceFlags.bufferedIo != 0 {
                try writeU64(irp &+ UInt64(I.systemBuffer), buffer)
            } else if flags & Layout.DeviceFlags.directIo != 0 {
                try writeU64(irp &+ UInt64(I.mdlAddress), try describe(buffer, length: max(length, 1)))
            } else {
                try writeU64(irp &+ UInt64(I.userBuffer), buffer)
            }
            output = buffer
        default:
            break
        }
        return PreparedIrp(irp: irp, stackLocation: stack, outputBuffer: output, outputLength: outputLength)
    }

    /// IoStatus.Status and .Information as the driver left them.
    public func ioStatus(of irp: UInt64) throws -> (status: UInt32, information: UInt64) {
        (try readU32(irp &+ UInt64(Layout.IRP.ioStatusStatus)), try readU64(irp &+ UInt64(Layout.IRP.ioStatusInformation)))
    }

    /// A buffer for I/O data (its own pages, so overruns fault).
    private func ioBuffer(_ size: Int, contents: [UInt8]) throws -> UInt64 {
        let pages = max(1, (size + 0xFFF) / 0x1000)
        let allocation = try memory.allocate(pages: pages, owner: .kernelStructure("I/O buffer"))
        if !contents.isEmpty { try writeBytes(allocation.base, Array(contents.prefix(size))) }
        return allocation.base
    }

    /// An MDL describing `length` bytes at `address` with its PFNs filled in.
    private func describe(_ address: UInt64, length: Int) throws -> UInt64 {
        typealias M = Layout.MDL
        let pages = (Int(address & 0xFFF) + length + 0xFFF) / 0x1000
        let mdl = try heap.allocate(M.pfnArray + 8 * pages, name: "MDL")
        try writeU16(mdl &+ UInt64(M.size), UInt16(clamping: M.pfnArray + 8 * pages))
        try writeU16(mdl &+ UInt64(M.mdlFlags), M.pagesLocked)
        try writeU64(mdl &+ UInt64(M.startVa), address & ~0xFFF)
        try writeU32(mdl &+ UInt64(M.byteCount), UInt32(length))
        try writeU32(mdl &+ UInt64(M.byteOffset), UInt32(address & 0xFFF))
        for index in 0..<pages {
            try writeU64(mdl &+ UInt64(M.pfnArray + 8 * index), memory.frame(of: (address & ~0xFFF) &+ UInt64(index) * 0x1000) ?? 0)
        }
        return mdl
    }

    /// The devices a driver object owns, newest first (DriverObject->DeviceObject chain).
    public func devices(of driverObject: UInt64) -> [UInt64] {
        var result: [UInt64] = []
        var device = (try? readU64(driverObject &+ UInt64(Layout.DriverObject.deviceObject))) ?? 0
        while device != 0, result.count < 64, !result.contains(device) {
            result.append(device)
            device = (try? readU64(device &+ UInt64(Layout.DeviceObject.nextDevice))) ?? 0
        }
        return result
    }

    /// Whether `routine` is the kernel's default for unset MajorFunction slots.
    public func isInvalidDeviceRequestRoutine(_ routine: UInt64) -> Bool {
        (try? resolve(module: "ntoskrnl.exe", function: "IopInvalidDeviceRequest")) == routine
    }

    /// DriverObject->DriverExtension->AddDevice.
    public func addDeviceRoutine(_ driverObject: UInt64) throws -> UInt64 {
        let ext = try readU64(driverObject &+ UInt64(Layout.DriverObject.driverExtension))
        return ext == 0 ? 0 : try readU64(ext &+ UInt64(Layout.DriverExtension.addDevice))
    }

    /// A physical device object standing for the bus's device in a PnP add.
    public func makePhysicalDeviceObject() throws -> UInt64 {
        typealias D = Layout.DeviceObject
        let pdo = try heap.allocate(D.totalSize, name: "PDO")
        try writeU16(pdo &+ UInt64(D.type), D.typeValue)
        try writeU16(pdo &+ UInt64(D.size), UInt16(D.totalSize))
        try writeU8(pdo &+ UInt64(D.stackSize), 1)
        return pdo
    }
}
