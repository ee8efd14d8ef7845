/// WMI and ETW, the kernel's two instrumentation interfaces. The model runs with
/// no WMI data provider and no event-tracing session: WMI blocks cannot be opened
/// (STATUS_WMI_GUID_NOT_FOUND, what Windows returns for a GUID no provider has
/// registered), and an ETW provider registers fine but is never enabled, so
/// events a driver writes go nowhere — exactly what happens on Windows when no
/// trace session listens.
enum WmiArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("IoWMIOpenBlock") { try openBlock($0) },
        // (DataBlockObject, …): no block object can exist, since IoWMIOpenBlock never opens one.
        .ntoskrnl("IoWMIQueryAllData") { _ in UInt64(wmiGuidNotFound) }.stub("no WMI data providers: every GUID is not found"),
        .ntoskrnl("IoWMIQueryAllDataMultiple") { _ in UInt64(wmiGuidNotFound) }.stub("no WMI data providers: every GUID is not found"),
        .ntoskrnl("IoWMIQuerySingleInstance") { _ in UInt64(wmiGuidNotFound) }.stub("no WMI data providers: every GUID is not found"),
        .ntoskrnl("IoWMISetSingleInstance") { _ in UInt64(wmiGuidNotFound) }.stub("no WMI data providers: every GUID is not found"),
        .ntoskrnl("IoWMIExecuteMethod") { _ in UInt64(wmiGuidNotFound) }.stub("no WMI data providers: every GUID is not found"),
        // A driver registering (or deregistering) as a WMI provider: accepted; no consumer asks.
        .ntoskrnl("IoWMIRegistrationControl") { _ in UInt64(NTStatus.success) }.stub("WMI registrations are not tracked"),
        .ntoskrnl("EtwRegister") { try register($0, handleArgument: 3) },
        .ntoskrnl("EtwRegisterClassicProvider") { try register($0, handleArgument: 4) },
        .ntoskrnl("EtwUnregister") { _ in UInt64(NTStatus.success) }.stub("ETW providers are not tracked"),
        .ntoskrnl("EtwEventEnabled") { _ in 0 }.stub("no ETW session listens"),
        .ntoskrnl("EtwProviderEnabled") { _ in 0 }.stub("no ETW session listens"),
        .ntoskrnl("EtwWrite") { _ in UInt64(NTStatus.success) }.stub("ETW events are not recorded"),
        .ntoskrnl("EtwWriteEx") { _ in UInt64(NTStatus.success) }.stub("ETW events are not recorded"),
        .ntoskrnl("EtwWriteTransfer") { _ in UInt64(NTStatus.success) }.stub("ETW events are not recorded"),
        .ntoskrnl("EtwWriteString") { _ in UInt64(NTStatus.success) }.stub("ETW events are not recorded"),
        .ntoskrnl("EtwSetInformation") { _ in UInt64(NTStatus.success) }.stub("ETW providers are not tracked"),
    ]

    /// STATUS_WMI_GUID_NOT_FOUND.
    static let wmiGuidNotFound: UInt32 = 0xC000_0295

    /// IoWMIOpenBlock(Guid, DesiredAccess, *DataBlockObject): no provider has registered any
    /// GUID, so the block is not found and *DataBlockObject is left as it was.
    static func openBlock(_ call: KernelCall) throws -> UInt64 {
        let guid = try call.arg(0)
        guard guid != 0 else { return UInt64(NTStatus.invalidParameter) }
        call.note("GUID \(StringsArea.guidString(try call.kernel.readBytes(guid, count: 16))): no WMI provider")
        return UInt64(wmiGuidNotFound)
    }

    /// EtwRegister(ProviderId, EnableCallback, CallbackContext, *RegHandle) and
    /// EtwRegisterClassicProvider(ProviderId, Type, EnableCallback, CallbackContext, *RegHandle):
    /// a REGHANDLE (on Windows the address of the kernel's ETW_REG_ENTRY; here a fresh kernel
    /// block, so handles are distinct and never 0). The enable callback is not called: no
    /// session enables the provider.
    static func register(_ call: KernelCall, handleArgument: Int) throws -> UInt64 {
        let kernel = call.kernel, provider = try call.arg(0), out = try call.arg(handleArgument)
        guard provider != 0, out != 0 else { return UInt64(NTStatus.invalidParameter) }
        let entry = try kernel.heap.allocate(0x70, name: "ETW_REG_ENTRY")
        try kernel.writeU64(out, entry)
        call.note("provider \(StringsArea.guidString(try kernel.readBytes(provider, count: 16)))")
        return UInt64(NTStatus.success)
    }
}
