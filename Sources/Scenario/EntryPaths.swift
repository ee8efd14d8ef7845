import Kernel
import PEImage

/// The entry paths after DriverEntry, in the order a system would exercise
/// them: the PnP add (AddDevice, then IRP_MN_START_DEVICE) when the driver
/// has an AddDevice routine; then, on its first device, IRP_MJ_CREATE, each
/// IOCTL (given, then discovered), IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_CLEANUP
/// and IRP_MJ_CLOSE; then every routine it queued (callbacks, DPCs, timers,
/// work items, threads), each once. Unset MajorFunction slots are skipped.
struct EntryPaths {
    let kernel: Kernel
    let caller: EntryCaller
    let session: Session
    let options: RunOptions
    static let maxDeferredRuns = 64

    func run(driverObject: UInt64) -> [EntryPointResult] {
        var results = plugAndPlay(driverObject: driverObject)
        results.append(contentsOf: requests(driverObject: driverObject))
        results.append(contentsOf: runDeferred(driverObject: driverObject))
        return results
    }

    /// AddDevice with a PDO, then IRP_MN_START_DEVICE to the device it created.
    /// (Not optimised: Swift 6.3.1's CopyPropagation pass crashes on this function in -O builds.)
    @_optimize(none)
    func plugAndPlay(driverObject: UInt64) -> [EntryPointResult] {
        let addDevice = (try? kernel.addDeviceRoutine(driverObject)) ?? 0
        guard addDevice != 0, let pdo = try? kernel.makePhysicalDeviceObject() else { return [] }
        let add = caller.call("AddDevice", at: addDevice, arguments: [driverObject, pdo], findings: { session.takeFindings() })
        var results = [add]
        let added = add.status.map { NTStatus.isSuccess($0) } ?? false
        if added, let fdo = kernel.devices(of: driverObject).first {
            results.append(contentsOf: send(IrpRequest(major: Layout.MajorFunction.pnp, minor: 0),
                                            name: "IRP_MJ_PNP/IRP_MN_START_DEVICE", driverObject: driverObject, device: fdo))
        }
        return results
    }

    /// The requests an application makes on the driver's first device.
    func requests(driverObject: UInt64) -> [EntryPointResult] {
        guard let device = kernel.devices(of: driverObject).last,
              let file = try? kernel.makeFileObject(device: device, name: "") else { return [] }
        var list: [(IrpRequest, String)] = [(IrpRequest(major: Layout.MajorFunction.create, fileObject: file), "IRP_MJ_CREATE")]
        var controls = ioctls(driverObject: driverObject)
        // A dispatch routine that is there gets run: with no code given or found, one request
        // with a neutral code (a note says which), so its entry path is exercised at least once.
        if controls.isEmpty, handles(Layout.MajorFunction.deviceControl, driverObject: driverObject) {
            controls = [IoctlRequest(code: Self.fallbackIoctl, input: [UInt8](repeating: 0, count: 0x40),
                                     outputLength: options.outputLength, isFallback: true)]
        }
        for ioctl in controls {
            list.append((IrpRequest(major: Layout.MajorFunction.deviceControl, ioControlCode: ioctl.code, input: ioctl.input,
                                    outputLength: ioctl.outputLength, fileObject: file),
                         "IRP_MJ_DEVICE_CONTROL " + hex(ioctl.code)))
        }
        // (A KMDF driver's slots all lead into the framework; its queues get the IOCTLs above.)
        if !kernel.isKmdfDriver, handles(Layout.MajorFunction.internalDeviceControl, driverObject: driverObject) {
            let request = controls.first ?? IoctlRequest(code: Self.fallbackIoctl, isFallback: true)
            list.append((IrpRequest(major: Layout.MajorFunction.internalDeviceControl, ioControlCode: request.code,
                                    input: request.input, outputLength: request.outputLength, fileObject: file),
                         "IRP_MJ_INTERNAL_DEVICE_CONTROL " + hex(request.code)))
        }
        list.append((IrpRequest(major: Layout.MajorFunction.read, outputLength: 0x100, fileObject: file), "IRP_MJ_READ"))
        list.append((IrpRequest(major: Layout.MajorFunction.write, input: [UInt8](repeating: 0x41, count: 0x40), fileObject: file),
                     "IRP_MJ_WRITE"))
        list.append((IrpRequest(major: Layout.MajorFunction.cleanup, fileObject: file), "IRP_MJ_CLEANUP"))
        list.append((IrpRequest(major: Layout.MajorFunction.close, fileObject: file), "IRP_MJ_CLOSE"))
        var results: [EntryPointResult] = []
        for (request, name) in list {
            var sent = send(request, name: name, driverObject: driverObject, device: device)
            if controls.contains(where: { $0.isFallback }), request.ioControlCode == Self.fallbackIoctl, !sent.isEmpty {
                sent[0].notes.append("no IOCTL code was given or found in the dispatch routine: sent \(hex(Self.fallbackIoctl)) (CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)) so that it runs once")
            }
            results.append(contentsOf: sent)
        }
        return results
    }

    /// CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS): the first
    /// vendor-defined function code, sent when neither the command line nor the scan gives one.
    static let fallbackIoctl: UInt32 = 0x0022_2000

    /// Whether the driver set MajorFunction[major] to a routine of its own.
    func handles(_ major: Int, driverObject: UInt64) -> Bool {
        guard let routine = try? kernel.majorFunction(driverObject, major) else { return false }
        return routine != 0 && !kernel.isInvalidDeviceRequestRoutine(routine)
    }

    /// Every entry point the driver made available besides DriverEntry, with the reason the
    /// run would not reach it (Coverage lists those the run did not): the dispatch routines it
    /// set, AddDevice, DriverUnload.
    func available(driverObject: UInt64) -> [(name: String, whyNotRun: String)] {
        let hasDevice = !kernel.devices(of: driverObject).isEmpty
        let driven: Set<Int> = [Layout.MajorFunction.create, Layout.MajorFunction.deviceControl,
                                Layout.MajorFunction.internalDeviceControl, Layout.MajorFunction.read,
                                Layout.MajorFunction.write, Layout.MajorFunction.cleanup, Layout.MajorFunction.close,
                                Layout.MajorFunction.pnp]
        var list: [(name: String, whyNotRun: String)] = []
        if kernel.isKmdfDriver { return list }  // its slots are the framework's; its callbacks run through them
        for major in 0...Layout.MajorFunction.pnp where handles(major, driverObject: driverObject) {
            let why = !driven.contains(major) ? "hvcisim does not send this request"
                : hasDevice ? "the request was not completed before it (see the earlier entry points)"
                : "the driver created no device object to send it to"
            list.append((MajorFunctionName.name(major), why))
        }
        if let routine = try? kernel.addDeviceRoutine(driverObject), routine != 0 {
            list.append(("AddDevice", "no physical device object could be made"))
        }
        if let routine = try? kernel.unloadRoutine(driverObject), routine != 0 {
            list.append(("DriverUnload", "the run stopped before it"))
        }
        return list
    }

    /// The IOCTLs to send: those asked for, then (unless turned off) those the scan finds.
    func ioctls(driverObject: UInt64) -> [IoctlRequest] {
        var list = options.ioctls
        guard options.discoverIoctls else { return list }
        // A KMDF driver's MajorFunction slots point into the framework: scan its queue callbacks instead.
        var routines = kernel.isKmdfDriver ? kernel.kmdfIoctlRoutines() : []
        if routines.isEmpty, let routine = try? kernel.majorFunction(driverObject, Layout.MajorFunction.deviceControl),
           !kernel.isInvalidDeviceRequestRoutine(routine) {
            routines = [routine]
        }
        for routine in routines {
            for code in IoctlScanner.codes(in: kernel, routine: routine, length: session.functionLength(at: routine))
            where !list.contains(where: { $0.code == code }) {
                list.append(IoctlRequest(code: code, input: [UInt8](repeating: 0, count: 0x40), outputLength: options.outputLength))
            }
        }
        return list
    }

    /// Calls MajorFunction[major](DeviceObject, Irp) and notes what came back.
    func send(_ request: IrpRequest, name: String, driverObject: UInt64, device: UInt64) -> [EntryPointResult] {
        guard let routine = try? kernel.majorFunction(driverObject, request.major),
              routine != 0, !kernel.isInvalidDeviceRequestRoutine(routine) else { return [] }
        guard let prepared = try? kernel.prepareIrp(request, device: device) else { return [] }
        var result = caller.call(name, at: routine, arguments: [device, prepared.irp], findings: { session.takeFindings() })
        if request.major == Layout.MajorFunction.deviceControl || request.major == Layout.MajorFunction.internalDeviceControl {
            result.notes.append("IoControlCode \(hex(request.ioControlCode)), method \(request.ioControlCode & 3), input \(request.input.count) bytes, output \(request.outputLength) bytes")
        }
        if let status = try? kernel.ioStatus(of: prepared.irp) {
            result.notes.append("IoStatus.Status \(NTStatus.name(status.status)), Information \(status.information)")
            let shown = Int(min(status.information, 64, UInt64(prepared.outputLength)))
            if shown > 0, prepared.outputBuffer != 0, let bytes = try? kernel.readBytes(prepared.outputBuffer, count: shown) {
                result.notes.append("output " + bytes.map { String(format2: $0) }.joined())
            }
        }
        return [result]
    }

    /// Runs queued routines (and any they queue) once each, up to a cap.
    func runDeferred(driverObject: UInt64) -> [EntryPointResult] {
        var results: [EntryPointResult] = []
        var pending = kernel.takeDeferredRoutines()
        while !pending.isEmpty, results.count < Self.maxDeferredRuns {
            let routine = pending.removeFirst()
            // IoRegisterShutdownNotification queues no routine of its own: at shutdown Windows sends
            // IRP_MJ_SHUTDOWN to the device, through the driver's dispatch slot (skipped when unset).
            if routine.kind == "Shutdown", routine.routine == 0 {
                if let device = routine.arguments.first, device != 0 {
                    results += send(IrpRequest(major: Layout.MajorFunction.shutdown), name: "IRP_MJ_SHUTDOWN",
                                    driverObject: driverObject, device: device)
                }
                pending += kernel.takeDeferredRoutines()
                continue
            }
            results.append(caller.call("\(routine.kind) 0x\(String(routine.routine, radix: 16))", at: routine.routine,
                                       arguments: routine.arguments, queued: true, findings: { session.takeFindings() }))
            pending += kernel.takeDeferredRoutines()
        }
        return results
    }
}

extension String {
    /// Two lower-case hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
