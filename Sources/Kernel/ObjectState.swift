/// The kernel objects a driver has created, by guest address.
struct ObjectState {
    struct PoolBlock {
        var size: Int
        var tag: UInt32
        var poolType: UInt64
        var executable = false
    }

    struct DeviceInfo {
        var name: String?
        var driverObject: UInt64
    }

    var pool: [UInt64: PoolBlock] = [:]
    /// MDL address → the system-space mappings made of it.
    var mdlMappings: [UInt64: UInt64] = [:]
    var devices: [UInt64: DeviceInfo] = [:]
    /// Symbolic link name → target device name.
    var symbolicLinks: [String: String] = [:]
    /// Data exports (KeTickCount, …) by name.
    var dataExports: [String: UInt64] = [:]
    /// Virtual memory from ZwAllocateVirtualMemory, by base.
    var virtualAllocations: Set<UInt64> = []
}
