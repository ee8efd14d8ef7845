/// WDFDRIVER: WdfDriverCreate takes over the driver object (MajorFunction,
/// AddDevice, DriverUnload) the way FxDriver::Initialize does.
enum WdfDriverFunctions {
    static let handlers: [KernelExport] = [
        .kmdf("WdfDriverCreate") { try create($0) },
        .kmdf("WdfDriverWdmGetDriverObject") { call in call.kernel.wdf.driverObject },
        .kmdf("WdfDriverGetRegistryPath") { call in
            try call.kernel.wdfObject(call.arg(1), call, kind: "WDFDRIVER")["registryPath"]
        },
        .kmdf("WdfDriverIsVersionAvailable") { call in
            // WDF_DRIVER_VERSION_AVAILABLE_PARAMS { Size, MajorVersion, MinorVersion }
            let params = try call.arg(2)
            let major = try call.kernel.readU32(params &+ 4), minor = try call.kernel.readU32(params &+ 8)
            return major == 1 && minor <= WdfLoaderArea.frameworkMinorVersion ? 1 : 0
        },
        .kmdf("WdfDriverRetrieveVersionString") { _ in UInt64(NTStatus.success) }.stub("the string is left untouched"),
        .kmdf("WdfDriverOpenParametersRegistryKey") { call in
            try WdfSupportFunctions.openKey(call, path: call.kernel.configuration.registryPath + "\\Parameters",
                                            attributes: call.arg(3), out: call.arg(4))
        },
        .kmdf("WdfDriverMiniportUnload") { _ in 0 }.stub("miniport unload is not modelled"),
        .kmdf("WdfDriverRegisterTraceInfo") { _ in UInt64(NTStatus.success) }.stub("WPP tracing is not recorded"),
        .kmdf("WdfDriverErrorReportApiMissing") { _ in UInt64(NTStatus.success) }.stub("missing-API reports are not recorded"),
    ]

    /// WdfDriverCreate(Globals, DriverObject, RegistryPath, DriverAttributes, DriverConfig, *Driver).
    static func create(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let state = kernel.wdf
        typealias C = WdfLayout.DriverConfig
        typealias D = Layout.DriverObject
        let driverObject = try call.arg(1), registryPath = try call.arg(2), attributes = try call.arg(3)
        let config = try call.arg(4), out = try call.arg(5)
        guard state.globals != 0 else { return UInt64(WdfStatus.invalidDeviceState) }
        guard state.driver == 0 else { return UInt64(WdfStatus.invalidDeviceState) }
        guard config != 0 else { return UInt64(NTStatus.invalidParameter) }
        let deviceAdd = try kernel.readU64(config &+ UInt64(C.deviceAdd))
        let unload = try kernel.readU64(config &+ UInt64(C.unload))
        let flags = try kernel.readU32(config &+ UInt64(C.initFlags))
        let nonPnp = flags & C.nonPnpDriver != 0
        call.note((nonPnp ? "non-PnP" : "PnP") + (deviceAdd != 0 ? ", EvtDriverDeviceAdd" : "")
                  + (unload != 0 ? ", EvtDriverUnload" : ""))
        let driver = try kernel.wdfCreate("WDFDRIVER", attributes: attributes, defaultParent: 0)
        driver["driverObject"] = driverObject
        driver["registryPath"] = registryPath
        state.driver = driver.handle
        state.driverObject = driverObject
        state.deviceAdd = nonPnp ? 0 : deviceAdd
        state.driverUnload = unload
        try kernel.writeU64(state.globals &+ UInt64(WdfLayout.DriverGlobals.driver), driver.handle)
        try kernel.writeU32(state.globals &+ UInt64(WdfLayout.DriverGlobals.driverFlags), flags)
        try kernel.writeU8(state.globals &+ 0x30, nonPnp && unload == 0 ? 0 : 1) // DisplaceDriverUnload

        if flags & C.noDispatchOverride == 0 {
            let dispatch = try kernel.trampolines.slot(for: "wdf01000.sys!FxDevice::Dispatch", handler: WdfDispatch.irp)
            for index in 0..<D.majorFunctionCount {
                try kernel.writeU64(driverObject &+ UInt64(D.majorFunction + 8 * index), dispatch)
            }
        }
        let unloadSlot = try kernel.trampolines.slot(for: "wdf01000.sys!FxDriver::Unload", handler: WdfDispatch.unload)
        if !nonPnp {
            let extensionAddress = try kernel.readU64(driverObject &+ UInt64(D.driverExtension))
            let add = try kernel.trampolines.slot(for: "wdf01000.sys!FxDriver::AddDevice", handler: WdfDispatch.addDevice)
            if extensionAddress != 0 { try kernel.writeU64(extensionAddress &+ UInt64(Layout.DriverExtension.addDevice), add) }
            try kernel.writeU64(driverObject &+ UInt64(D.driverUnload), unloadSlot)
        } else {
            try kernel.writeU64(driverObject &+ UInt64(D.driverUnload), unload != 0 ? unloadSlot : 0)
        }
        if out != 0 { try kernel.writeU64(out, driver.handle) }
        return UInt64(NTStatus.success)
    }
}
