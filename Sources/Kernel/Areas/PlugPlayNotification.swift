/// IoRegisterPlugPlayNotification / IoUnregisterPlugPlayNotification(Ex):
/// registrations are kept, nothing arrives. The model has no PnP devices, so
/// there are no existing interfaces to report for
/// PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES and no device
/// arrival or removal ever happens.
enum PlugPlayNotificationArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("IoRegisterPlugPlayNotification") { try register($0) },
        .ntoskrnl("IoUnregisterPlugPlayNotification") { try unregister($0) },
        .ntoskrnl("IoUnregisterPlugPlayNotificationEx") { try unregister($0) },
    ]

    final class State {
        /// Entry → (category, callback).
        var entries: [UInt64: (category: UInt32, callback: UInt64)] = [:]
    }

    static func pnpState(_ kernel: Kernel) -> State { kernel.state(State.self) { State() } }

    /// IoRegisterPlugPlayNotification(EventCategory, EventCategoryFlags, EventCategoryData,
    /// DriverObject, CallbackRoutine, Context, *NotificationEntry). Categories: HardwareProfileChange 1,
    /// DeviceInterfaceChange 2 (data: the interface class GUID), TargetDeviceChange 3 (data: a file object).
    static func register(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, state = pnpState(kernel)
        let category = try call.arg32(0), data = try call.arg(2), callback = try call.arg(4), out = try call.arg(6)
        guard (1...3).contains(category), callback != 0, out != 0 else { return UInt64(NTStatus.invalidParameter) }
        guard category == 1 || data != 0 else { return UInt64(NTStatus.invalidParameter) }
        guard state.entries.count < 256 else { return UInt64(NTStatus.insufficientResources) }
        let entry = try kernel.heap.allocate(0x40, name: "PNP notification entry")
        state.entries[entry] = (category, callback)
        try kernel.writeU64(out, entry)
        call.note(["hardware profile", "device interface", "target device"][Int(category) - 1] + " changes; the model has no PnP events")
        return UInt64(NTStatus.success)
    }

    /// IoUnregisterPlugPlayNotification(Ex)(NotificationEntry).
    static func unregister(_ call: KernelCall) throws -> UInt64 {
        guard pnpState(call.kernel).entries.removeValue(forKey: try call.arg(0)) != nil else {
            call.note("not a registered notification entry")
            return UInt64(NTStatus.invalidParameter)
        }
        return UInt64(NTStatus.success)
    }
}
