/// Files opened on the model's own devices: ZwCreateFile/ZwOpenFile of a device name
/// (`\Device\X`, or a symbolic link to it such as `\??\X`) sends IRP_MJ_CREATE to the device's
/// driver and, when it succeeds, gives a "File" handle on the new FILE_OBJECT;
/// ZwDeviceIoControlFile on that handle sends IRP_MJ_DEVICE_CONTROL the way the I/O manager
/// builds it (buffers by the code's transfer method, KernelMode requestor) and copies the
/// output back. Model limit: ZwClose of such a handle sends no IRP_MJ_CLEANUP/CLOSE.
enum DeviceFiles {
    /// The payload of a "File" handle opened on a device (the handle's object is the FILE_OBJECT).
    final class DeviceFile {
        let device: UInt64
        init(device: UInt64) { self.device = device }
    }

    /// The tail of a name in the DOS device namespace (`\??\X`, `\DosDevices\X`, `\GLOBAL??\X` → `X`).
    static func dosTail(_ name: String) -> Substring? {
        let folded = name.lowercased()
        for prefix in ["\\??\\", "\\dosdevices\\", "\\global??\\"] where folded.hasPrefix(prefix) {
            return name.dropFirst(prefix.count)
        }
        return nil
    }

    /// The model's device a name opens (through a symbolic link the drivers created), and the
    /// rest of the name after the device's (the FILE_OBJECT's FileName).
    static func target(_ kernel: Kernel, name: String) -> (device: UInt64, remainder: String)? {
        var path = name
        if let tail = dosTail(name) {
            let parts = tail.split(separator: "\\", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = parts.first, !first.isEmpty else { return nil }
            let rest = parts.count > 1 ? "\\" + parts[1] : ""
            guard let link = kernel.objects.symbolicLinks.first(where: {
                dosTail($0.key).map { String($0).caseInsensitiveEquals(String(first)) } ?? false
            }) else { return nil }
            path = link.value + rest
        }
        let folded = path.lowercased()
        for (device, info) in kernel.objects.devices {
            guard let deviceName = info.name?.lowercased(), !deviceName.isEmpty else { continue }
            if folded == deviceName { return (device, "") }
            if folded.hasPrefix(deviceName + "\\") { return (device, String(path.dropFirst(deviceName.count))) }
        }
        return nil
    }

    /// ZwCreateFile/ZwOpenFile/IoCreateFile*(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, …)
    /// on a device of the model; nil when the name is not one (the file system gets it).
    static func open(_ call: KernelCall) throws -> UInt64? {
        typealias A = Layout.ObjectAttributes
        let kernel = call.kernel
        let handleOut = try call.arg(0), access = try call.arg32(1), attributes = try call.arg(2), ioStatus = try call.arg(3)
        guard attributes != 0, try kernel.readU64(attributes &+ UInt64(A.rootDirectory)) == 0,
              let name = try kernel.readUnicodeString(try kernel.readU64(attributes &+ UInt64(A.objectName))),
              let (device, remainder) = target(kernel, name: name) else { return nil }
        call.note("\(name): a device of \(kernel.symbolize(try kernel.readU64(device &+ UInt64(Layout.DeviceObject.driverObject))))")
        let file = try kernel.makeFileObject(device: device, name: remainder)
        let prepared = try kernel.prepareIrp(IrpRequest(major: Layout.MajorFunction.create, fileObject: file), device: device)
        try kernel.writeU8(prepared.irp &+ UInt64(Layout.IRP.requestorMode), 0) // KernelMode
        return try IrpArea.send(call, device: device, irp: prepared.irp) { returned in
            let status = returned == NTStatus.pending ? try kernel.readU32(prepared.irp &+ UInt64(Layout.IRP.ioStatusStatus)) : returned
            guard NTStatus.isSuccess(status) else {
                try StatusHandlers.ioStatus(kernel, ioStatus, status, 0)
                return .finish(UInt64(status))
            }
            guard let handle = try kernel.obInsertHandle(kind: "File", object: file, access: access,
                                                         payload: DeviceFile(device: device)) else {
                return .finish(UInt64(NTStatus.insufficientResources))
            }
            try kernel.writeU64(handleOut, handle)
            try StatusHandlers.ioStatus(kernel, ioStatus, status, 1) // FILE_OPENED
            return .finish(UInt64(status))
        }
    }

    /// ZwDeviceIoControlFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, IoControlCode,
    /// InputBuffer, InputBufferLength, OutputBuffer, OutputBufferLength) on a device file.
    static func deviceControl(_ call: KernelCall, device: UInt64, file: UInt64) throws -> UInt64 {
        let kernel = call.kernel
        let event = try call.arg(1), iosb = try call.arg(4), code = try call.arg32(5)
        let input = try call.arg(6), inputLength = try call.arg32(7), output = try call.arg(8), outputLength = try call.arg32(9)
        guard inputLength <= 1 << 20, outputLength <= 1 << 20 else { return UInt64(NTStatus.invalidParameter) }
        let bytes = input != 0 && inputLength > 0 ? try kernel.readBytes(input, count: Int(inputLength)) : []
        let request = IrpRequest(major: Layout.MajorFunction.deviceControl, ioControlCode: code, input: bytes,
                                 outputLength: output == 0 ? 0 : Int(outputLength), fileObject: file)
        let prepared = try kernel.prepareIrp(request, device: device)
        try kernel.writeU8(prepared.irp &+ UInt64(Layout.IRP.requestorMode), 0) // KernelMode
        return try IrpArea.send(call, device: device, irp: prepared.irp) { returned in
            let (completed, information) = try kernel.ioStatus(of: prepared.irp)
            let status = returned == NTStatus.pending ? completed : returned
            let count = min(Int(clamping: information), prepared.outputLength)
            // Errors return no data; success and warnings (STATUS_BUFFER_OVERFLOW) do.
            if output != 0, count > 0, prepared.outputBuffer != 0, status >> 30 != 3 {
                try kernel.writeBytes(output, try kernel.readBytes(prepared.outputBuffer, count: count))
            }
            try StatusHandlers.ioStatus(kernel, iosb, status, information)
            if event != 0, let object = kernel.handles.lookup(event)?.object, object != 0 {
                try SynchronizationArea.setSignal(kernel, object, 1)
            }
            return .finish(UInt64(status))
        }
    }
}
