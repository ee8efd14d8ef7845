import Memory

/// hal.dll and device memory. There is no hardware behind the model: port reads
/// see a floating bus (all ones), port writes go nowhere, PCI slots are empty,
/// and MmMapIoSpace gives zeroed, non-executable memory standing in for the
/// device's registers — enough for a driver to run past its probing code.
enum HalArea {
    static let handlers: [KernelExport] = [
        .hal("READ_PORT_UCHAR") { call in try port(call, 0xFF) },
        .hal("READ_PORT_USHORT") { call in try port(call, 0xFFFF) },
        .hal("READ_PORT_ULONG") { call in try port(call, 0xFFFF_FFFF) },
        .hal("WRITE_PORT_UCHAR") { call in try portWrite(call) },
        .hal("WRITE_PORT_USHORT") { call in try portWrite(call) },
        .hal("WRITE_PORT_ULONG") { call in try portWrite(call) },
        .hal("READ_PORT_BUFFER_UCHAR") { call in try portBuffer(call, width: 1) },
        .hal("READ_PORT_BUFFER_USHORT") { call in try portBuffer(call, width: 2) },
        .hal("READ_PORT_BUFFER_ULONG") { call in try portBuffer(call, width: 4) },
        .hal("WRITE_PORT_BUFFER_UCHAR") { _ in 0 }.stub("no device behind any I/O port: the data goes nowhere"),
        .hal("WRITE_PORT_BUFFER_USHORT") { _ in 0 }.stub("no device behind any I/O port: the data goes nowhere"),
        .hal("WRITE_PORT_BUFFER_ULONG") { _ in 0 }.stub("no device behind any I/O port: the data goes nowhere"),
        .hal("READ_REGISTER_UCHAR") { call in UInt64(try call.kernel.readU8(call.arg(0))) },
        .hal("READ_REGISTER_USHORT") { call in UInt64(try call.kernel.readU16(call.arg(0))) },
        .hal("READ_REGISTER_ULONG") { call in UInt64(try call.kernel.readU32(call.arg(0))) },
        .hal("WRITE_REGISTER_UCHAR") { call in try call.kernel.writeU8(call.arg(0), UInt8(truncatingIfNeeded: call.arg(1))); return 0 },
        .hal("WRITE_REGISTER_USHORT") { call in try call.kernel.writeU16(call.arg(0), UInt16(truncatingIfNeeded: call.arg(1))); return 0 },
        .hal("WRITE_REGISTER_ULONG") { call in try call.kernel.writeU32(call.arg(0), call.arg32(1)); return 0 },
        .hal("HalGetBusDataByOffset") { call in try busData(call) },
        .hal("HalGetBusData") { call in try busData(call, offsetIndex: nil) },
        .hal("HalSetBusDataByOffset") { _ in 0 }.stub("every PCI slot is empty: nothing is written"),
        .hal("HalSetBusData") { _ in 0 }.stub("every PCI slot is empty: nothing is written"),
        .hal("HalTranslateBusAddress") { call in
            // (InterfaceType, BusNumber, BusAddress, *AddressSpace, *TranslatedAddress): identity.
            try call.kernel.writeU64(call.arg(4), call.arg(2))
            return 1
        },
        .hal("HalGetInterruptVector") { _ in 0 }.stub("no interrupt controller: no vector is ever assigned"),
        .ntoskrnl("MmMapIoSpace") { call in try mapIoSpace(call, size: call.arg(1), protection: 0x04) },
        .ntoskrnl("MmMapIoSpaceEx") { call in try mapIoSpace(call, size: call.arg(1), protection: call.arg32(2)) },
        .ntoskrnl("MmUnmapIoSpace") { call in
            let kernel = call.kernel, base = try call.arg(0) & ~0xFFF
            if kernel.state(IoSpace.self, make: { IoSpace() }).mappings.remove(base) != nil { try? kernel.memory.free(base) }
            return 0
        },
    ]

    final class IoSpace {
        var mappings: Set<UInt64> = []
    }

    static func port(_ call: KernelCall, _ floating: UInt64) throws -> UInt64 {
        call.note("port 0x\(String(try call.arg(0), radix: 16)): no device (floating bus)")
        return floating
    }

    static func portWrite(_ call: KernelCall) throws -> UInt64 {
        call.note("port 0x\(String(try call.arg(0), radix: 16)) <- 0x\(String(try call.arg(1), radix: 16))")
        return 0
    }

    /// READ_PORT_BUFFER_*(Port, Buffer, Count): all ones, as from a floating bus.
    static func portBuffer(_ call: KernelCall, width: Int) throws -> UInt64 {
        let count = Int(min(try call.arg(2), 1 << 20))
        try call.kernel.fill(call.arg(1), count: count * width, with: 0xFF)
        return 0
    }

    /// HalGetBusDataByOffset(BusDataType, BusNumber, SlotNumber, Buffer, Offset, Length): PCI
    /// configuration space of an empty slot reads as vendor ID 0xFFFF (2 bytes returned).
    static func busData(_ call: KernelCall, offsetIndex: Int? = 4) throws -> UInt64 {
        let busType = try call.arg32(0), buffer = try call.arg(3)
        let length = try call.arg32(offsetIndex == nil ? 4 : 5)
        guard busType == 4 || busType == 0xC else { return 0 } // PCIConfiguration, PCI bus
        guard length >= 2 else { return 0 }
        try call.kernel.writeU16(buffer, 0xFFFF)
        call.note("PCI slot \(try call.arg32(2)): no device")
        return 2
    }

    /// Zeroed memory standing in for device registers; an executable protection is DV 0x2001.
    static func mapIoSpace(_ call: KernelCall, size: UInt64, protection: UInt32) throws -> UInt64 {
        let kernel = call.kernel
        call.note("physical 0x\(String(try call.arg(0), radix: 16)), \(size) bytes")
        try kernel.checkPageProtection(call, protection, fix: "map device memory with PAGE_READWRITE | PAGE_NOCACHE")
        guard size > 0, size <= PoolArea.maxAllocation else { return 0 }
        let offset = try call.arg(0) & 0xFFF
        let pages = Int((offset + size + 0xFFF) / 0x1000)
        let rights = MemoryManagerArea.rights(for: protection) ?? .readWrite
        guard let mapping = try? kernel.memory.allocate(pages: pages, owner: .kernelStructure("I/O space"), rights: rights) else {
            return 0
        }
        kernel.state(IoSpace.self, make: { IoSpace() }).mappings.insert(mapping.base)
        return mapping.base + offset
    }
}
