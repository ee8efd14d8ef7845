/// WDFLDR.SYS: binding a KMDF driver to the framework (WdfVersionBind and friends).
///
/// The driver's stub (FxDriverEntry) passes a WDF_BIND_INFO naming the KMDF
/// version it was built for and where its `WdfFunctions` pointer lives. The
/// model answers as KMDF 1.33 (458 functions) would: drivers built for 1.13 or
/// older get the first FuncCount entries copied into their own table, newer
/// ones get `WdfFunctions` pointed at the framework's table. Every entry is a
/// trampoline slot named after its WDF function (`wdf01000.sys!WdfDriverCreate`),
/// with a handler when the model has one and the logged fallback otherwise.
enum WdfLoaderArea {
    static let handlers: [KernelExport] = [
        .wdfldr("WdfVersionBind") { try bind($0) },
        .wdfldr("WdfVersionUnbind") { call in
            call.note("unbind")
            return UInt64(NTStatus.success)
        }.stub("binding state is kept for the whole session"),
        .wdfldr("WdfVersionBindClass") { call in
            // Class extensions (e.g. the USB or SPB class libraries) are not modeled.
            call.note("class extension binding not modeled")
            return UInt64(NTStatus.notSupported)
        }.stub("class extensions (USB, SPB, …) are not modelled: STATUS_NOT_SUPPORTED"),
        .wdfldr("WdfVersionUnbindClass") { _ in UInt64(NTStatus.success) }.stub("class extensions are not modelled"),
    ]

    /// The framework the model stands for.
    static let frameworkMinorVersion: UInt32 = 33
    /// Tables up to this size are copied into the driver (KMDF 1.13 and older).
    static let copiedTableLimit = 438

    /// WdfVersionBind(DriverObject, RegistryPath, BindInfo, ComponentGlobals*).
    static func bind(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        typealias B = WdfLayout.BindInfo
        let driverObject = try call.arg(0), info = try call.arg(2), globalsOut = try call.arg(3)
        guard info != 0, globalsOut != 0 else { return UInt64(NTStatus.invalidParameter) }
        let size = try kernel.readU32(info &+ UInt64(B.size))
        let major = try kernel.readU32(info &+ UInt64(B.major)), minor = try kernel.readU32(info &+ UInt64(B.minor))
        let count = Int(try kernel.readU32(info &+ UInt64(B.funcCount)))
        let tableOut = try kernel.readU64(info &+ UInt64(B.funcTable))
        let component = (try? kernel.readWideString(kernel.readU64(info &+ UInt64(B.component)), maxLength: 64)) ?? "?"
        call.note("\(component) \(major).\(minor), \(count) functions")
        let total = WdfFunctionTable.names.count
        let newer = minor > frameworkMinorVersion || count > total
        guard major == 1, count > 0, tableOut != 0, !newer || size >= UInt32(B.size2) else {
            call.note("version mismatch: the model is KMDF 1.\(frameworkMinorVersion) (\(total) functions)")
            return UInt64(WdfStatus.revisionMismatch)
        }
        let state = kernel.wdf
        let table = try functionTable(kernel)
        if count <= copiedTableLimit {
            try kernel.writeBytes(tableOut, try kernel.readBytes(table, count: count * 8))
        } else {
            try kernel.writeU64(tableOut, table)
        }
        if size >= UInt32(B.size2) {
            let sizes = try structureTable(kernel)
            let higher = try kernel.readU64(info &+ UInt64(B.clientVersionHigherThanFramework))
            if higher != 0 { try kernel.writeU8(higher, newer ? 1 : 0) }
            let functionCount = try kernel.readU64(info &+ UInt64(B.funcCountPointer))
            if functionCount != 0 { try kernel.writeU32(functionCount, UInt32(total)) }
            let structCount = try kernel.readU64(info &+ UInt64(B.structCountPointer))
            if structCount != 0 { try kernel.writeU32(structCount, UInt32(WdfFunctionTable.structureSizes.count)) }
            let structTable = try kernel.readU64(info &+ UInt64(B.structTable))
            if structTable != 0 { try kernel.writeU64(structTable, sizes) }
        }
        if state.globals == 0 {
            typealias G = WdfLayout.DriverGlobals
            let globals = try kernel.heap.allocate(G.totalSize, name: "WDF_DRIVER_GLOBALS")
            let service = kernel.configuration.registryPath.split(separator: "\\").last.map(String.init) ?? "driver"
            try kernel.writeBytes(globals &+ UInt64(G.driverName), Array(service.utf8.prefix(G.nameLength - 1)))
            try kernel.writeU32(globals &+ UInt64(G.driverTag), 0x7244_7846) // 'FxDr'
            state.globals = globals
        }
        state.boundMinorVersion = minor
        state.driverObject = driverObject
        try kernel.writeU64(globalsOut, state.globals)
        return UInt64(NTStatus.success)
    }

    /// The framework's function table (built once): one slot per WDFFUNCENUM entry.
    static func functionTable(_ kernel: Kernel) throws -> UInt64 {
        let state = kernel.wdf
        if state.functionTable != 0 { return state.functionTable }
        let names = WdfFunctionTable.names
        let table = try kernel.heap.allocate(names.count * 8, name: "WdfFunctions")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(names.count * 8)
        for name in names {
            let slot = try kernel.trampolines.slot(for: KernelModule.kmdf.name + "!" + name, export: ExportTable.lookup(.kmdf, name))
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: slot >> UInt64(shift))) }
        }
        try kernel.writeBytes(table, bytes)
        state.functionTable = table
        return table
    }

    /// The WdfStructures size table (built once).
    static func structureTable(_ kernel: Kernel) throws -> UInt64 {
        let state = kernel.wdf
        if state.structureTable != 0 { return state.structureTable }
        let sizes = WdfFunctionTable.structureSizes
        let table = try kernel.heap.allocate(sizes.count * 8, name: "WdfStructures")
        for (index, size) in sizes.enumerated() { try kernel.writeU64(table &+ UInt64(index * 8), size) }
        state.structureTable = table
        return table
    }
}

/// NTSTATUS values the framework model returns beyond `NTStatus`'s own.
enum WdfStatus {
    static let revisionMismatch: UInt32 = 0xC000_0059
    static let invalidDeviceState: UInt32 = 0xC000_0184
    static let noMoreEntries: UInt32 = 0x8000_001A
    static let objectNameNotFound: UInt32 = 0xC000_0034
}
