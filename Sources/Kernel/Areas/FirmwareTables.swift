/// The firmware tables the kernel passes on from the platform firmware:
/// ZwQuerySystemInformation(SystemFirmwareTableInformation, 76) — what
/// AuxKlibGetSystemFirmwareTable calls — and ExGetSystemFirmwareTable.
///
/// The model's machine has one ACPI table drivers ask for: MCFG, which tells
/// where PCI Express configuration space (ECAM) is — one segment, buses 0–255
/// at physical 0xE0000000, as on a common desktop. Without it, drivers fall back
/// to probing every segment and bus through HalGetBusDataByOffset.
enum FirmwareTablesArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("ExGetSystemFirmwareTable") { try getTable($0) },
    ]

    /// SystemFirmwareTableInformation.
    static let informationClass: UInt32 = 76
    /// Provider signatures as drivers write them ('ACPI' as a multi-character constant).
    static let acpiProvider: UInt32 = 0x4143_5049
    /// SYSTEM_FIRMWARE_TABLE_INFORMATION: ProviderSignature, Action, TableID, TableBufferLength, TableBuffer.
    static let headerSize = 0x10
    static let ecamBase: UInt64 = 0xE000_0000

    /// The tables of `provider`, by TableID (the table signature's bytes read as a little-endian ULONG).
    static func tables(provider: UInt32) -> [UInt32: [UInt8]]? {
        guard provider == acpiProvider else { return nil }
        return [signatureID("MCFG"): mcfg()]
    }

    static func signatureID(_ text: String) -> UInt32 {
        Array(text.utf8.prefix(4)).enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    /// An ACPI MCFG table: 36-byte header, 8 reserved bytes, then one 16-byte allocation
    /// (BaseAddress, PciSegmentGroup, StartBus, EndBus, reserved); checksum makes the bytes sum to 0.
    static func mcfg() -> [UInt8] {
        func le(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
        var bytes = Array("MCFG".utf8) + le(60, 4) + [1, 0] + Array("HVCSIM".utf8) + Array("HVCISIM ".utf8)
        bytes += le(1, 4) + Array("HVCS".utf8) + le(1, 4) + [UInt8](repeating: 0, count: 8)
        bytes += le(ecamBase, 8) + le(0, 2) + [0, 0xFF] + le(0, 4)
        let sum = bytes.reduce(UInt8(0)) { $0 &+ $1 }
        bytes[9] = 0 &- sum
        return bytes
    }

    /// The bytes `action` asks for: 0 enumerates the provider's table IDs, 1 gets one table.
    static func payload(provider: UInt32, action: UInt32, tableID: UInt32) -> [UInt8]? {
        guard let tables = tables(provider: provider) else { return nil }
        switch action {
        case 0: return tables.keys.sorted().flatMap { id in (0..<4).map { UInt8(truncatingIfNeeded: id >> (8 * $0)) } }
        case 1: return tables[tableID]
        default: return nil
        }
    }

    /// ZwQuerySystemInformation(76, Buffer, Length, ReturnLength): the caller fills the
    /// header; a TableBuffer too small gets STATUS_BUFFER_TOO_SMALL with TableBufferLength
    /// (and ReturnLength) saying what is needed, which is how callers learn the size.
    static func query(_ call: KernelCall, buffer: UInt64, length: UInt32, returned: UInt64) throws -> UInt64 {
        let kernel = call.kernel
        guard length >= UInt32(headerSize), buffer != 0 else { return UInt64(NTStatus.infoLengthMismatch) }
        let provider = try kernel.readU32(buffer), action = try kernel.readU32(buffer &+ 4)
        let tableID = try kernel.readU32(buffer &+ 8), room = try kernel.readU32(buffer &+ 0xC)
        call.note("firmware table provider 0x\(String(provider, radix: 16)) action \(action) table 0x\(String(tableID, radix: 16))")
        guard let bytes = payload(provider: provider, action: action, tableID: tableID) else {
            return UInt64(NTStatus.notFound)
        }
        let needed = UInt32(bytes.count)
        try kernel.writeU32(buffer &+ 0xC, needed)
        if returned != 0 { try kernel.writeU32(returned, UInt32(headerSize) + needed) }
        guard room >= needed, length - UInt32(headerSize) >= needed else { return UInt64(NTStatus.bufferTooSmall) }
        try kernel.writeBytes(buffer &+ UInt64(headerSize), bytes)
        return UInt64(NTStatus.success)
    }

    /// ExGetSystemFirmwareTable(ProviderSignature, TableID, Buffer, BufferLength, *ReturnLength).
    static func getTable(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let provider = try call.arg32(0), tableID = try call.arg32(1), buffer = try call.arg(2)
        let length = try call.arg32(3), returned = try call.arg(4)
        guard let bytes = payload(provider: provider, action: 1, tableID: tableID) else { return UInt64(NTStatus.notFound) }
        if returned != 0 { try kernel.writeU32(returned, UInt32(bytes.count)) }
        guard buffer != 0, length >= UInt32(bytes.count) else { return UInt64(NTStatus.bufferTooSmall) }
        try kernel.writeBytes(buffer, bytes)
        return UInt64(NTStatus.success)
    }
}
