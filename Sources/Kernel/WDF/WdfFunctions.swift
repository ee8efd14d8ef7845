/// The framework functions the model implements, registered under `KernelModule.kmdf`
/// by WDF name: what the slots of the table WdfVersionBind hands out run. Names
/// not here still get a slot, which logs the call under its WDF name and returns
/// the fallback value. A name that is not in WDFFUNCENUM is a test failure.
enum WdfFunctions {
    static let handlers: [KernelExport] = WdfDriverFunctions.handlers + WdfDeviceFunctions.handlers
        + WdfQueueFunctions.handlers + WdfMemoryFunctions.handlers + WdfObjectFunctions.handlers
        + WdfSupportFunctions.handlers
}

extension WdfFunctionTable {
    /// WDFFUNCENUM index by name.
    static let index: [String: Int] = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
}

extension Kernel {
    /// The driver routine that handles `major` IRPs for a KMDF driver's device — the queue's
    /// EvtIoDeviceControl / EvtIoRead / EvtIoWrite (or EvtIoDefault), EvtDeviceFileCreate for
    /// IRP_MJ_CREATE — or nil when the driver is not a KMDF driver or has none. The scenario
    /// scans this routine for IOCTL codes, since MajorFunction[] points into the framework.
    public func kmdfCallback(forMajor major: Int, deviceObject: UInt64? = nil) -> UInt64? {
        let state = wdf
        guard state.driver != 0 else { return nil }
        let devices = state.objects.values.filter { $0.kind == "WDFDEVICE" }
        guard let device = deviceObject.flatMap({ state.deviceByObject[$0] }).flatMap({ state.objects[$0] })
            ?? devices.min(by: { $0.handle < $1.handle }) else { return nil }
        if major == Layout.MajorFunction.create { return device["fileCreate"] == 0 ? nil : device["fileCreate"] }
        guard let queue = state.objects[device.values["queue:\(major)"] ?? device["defaultQueue"]] else { return nil }
        let key: String
        switch major {
        case Layout.MajorFunction.deviceControl: key = "ioDeviceControl"
        case Layout.MajorFunction.internalDeviceControl: key = "ioInternalDeviceControl"
        case Layout.MajorFunction.read: key = "ioRead"
        case Layout.MajorFunction.write: key = "ioWrite"
        default: key = "ioDefault"
        }
        let routine = queue[key] != 0 ? queue[key] : queue["ioDefault"]
        return routine == 0 ? nil : routine
    }

    /// Whether DriverEntry bound the driver to the framework (WdfVersionBind succeeded).
    public var isKmdfDriver: Bool { wdf.globals != 0 }
}

extension Kernel {
    /// The routines of a KMDF driver that see IOCTL codes: EvtIoInCallerContext (when set) and
    /// the queue's EvtIoDeviceControl. For the scenario's IOCTL discovery.
    public func kmdfIoctlRoutines() -> [UInt64] {
        let state = wdf
        guard state.driver != 0 else { return [] }
        var routines: [UInt64] = []
        for device in state.objects.values.filter({ $0.kind == "WDFDEVICE" }).sorted(by: { $0.handle < $1.handle }) {
            if device["inCallerContext"] != 0 { routines.append(device["inCallerContext"]) }
        }
        if let control = kmdfCallback(forMajor: Layout.MajorFunction.deviceControl) { routines.append(control) }
        var seen = Set<UInt64>()
        return routines.filter { seen.insert($0).inserted }
    }
}
