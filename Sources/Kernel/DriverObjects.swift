/// The objects the I/O manager builds before it calls DriverEntry.
extension Kernel {
    /// A driver object as IopLoadDriver leaves it for DriverEntry, plus the
    /// registry path argument: DRIVER_OBJECT (0x150 bytes) with its
    /// DRIVER_EXTENSION, DriverStart/DriverSize/DriverSection/DriverInit, the driver name
    /// `\Driver\<service>`, and every MajorFunction slot pointing at the
    /// kernel's IopInvalidDeviceRequest.
    /// `name` replaces `\Driver\<service>` (IoCreateDriver names its objects itself).
    public func createDriverObject(imageBase: UInt64, imageSize: UInt64, entryPoint: UInt64, name driverName: String? = nil)
        throws -> (driverObject: UInt64, registryPath: UInt64)
    {
        typealias D = Layout.DriverObject
        let service = driverName.flatMap { $0.split(separator: "\\").last.map(String.init) }
            ?? configuration.registryPath.split(separator: "\\").last.map(String.init) ?? "driver"
        let driver = try heap.allocate(D.totalSize, name: "DRIVER_OBJECT")
        let driverExtension = try heap.allocate(Layout.DriverExtension.totalSize, name: "DRIVER_EXTENSION")
        try writeU16(driver &+ UInt64(D.type), D.typeValue)
        try writeU16(driver &+ UInt64(D.size), UInt16(D.totalSize))
        try writeU64(driver &+ UInt64(D.driverStart), imageBase)
        try writeU32(driver &+ UInt64(D.driverSize), UInt32(truncatingIfNeeded: imageSize))
        try writeU64(driver &+ UInt64(D.driverExtension), driverExtension)
        try writeU64(driver &+ UInt64(D.driverInit), entryPoint)
        // The loader's KLDR_DATA_TABLE_ENTRY for the image, also linked into PsLoadedModuleList.
        // IoCreateDriver's objects have none: no loader loaded an image for them (NULL, as on Windows).
        if driverName == nil {
            try writeU64(driver &+ UInt64(D.driverSection),
                         try addDriverModule(base: imageBase, size: imageSize, entryPoint: entryPoint))
        }
        let name = try makeUnicodeString(driverName ?? "\\Driver\\" + service, name: "DriverName")
        try writeBytes(driver &+ UInt64(D.driverName), try readBytes(name, count: Layout.UnicodeString.size))
        try writeU64(driverExtension &+ UInt64(Layout.DriverExtension.driverObject), driver)
        let serviceKey = try makeUnicodeString(service, name: "ServiceKeyName")
        try writeBytes(driverExtension &+ UInt64(Layout.DriverExtension.serviceKeyName),
                       try readBytes(serviceKey, count: Layout.UnicodeString.size))
        let invalid = try resolve(module: "ntoskrnl.exe", function: "IopInvalidDeviceRequest")
        for index in 0..<D.majorFunctionCount {
            try writeU64(driver &+ UInt64(D.majorFunction + 8 * index), invalid)
        }
        let registryPath = try makeUnicodeString(configuration.registryPath, name: "RegistryPath")
        return (driver, registryPath)
    }

    /// The routine DriverObject->MajorFunction[index] points at now.
    public func majorFunction(_ driverObject: UInt64, _ index: Int) throws -> UInt64 {
        try readU64(driverObject &+ UInt64(Layout.DriverObject.majorFunction + 8 * index))
    }

    /// DriverObject->DriverUnload.
    public func unloadRoutine(_ driverObject: UInt64) throws -> UInt64 {
        try readU64(driverObject &+ UInt64(Layout.DriverObject.driverUnload))
    }
}
