/// An NTSTATUS a handler returns early with: thrown inside a handler wrapped by
/// `StatusHandlers.wrap`, it becomes the return value instead of a bug check.
struct GuestStatusError: Error {
    let status: UInt32
    init(_ status: UInt32) { self.status = status }
}

/// Helpers shared by the registry, file, string and format areas.
enum StatusHandlers {
    /// A handler whose body returns an NTSTATUS and may throw `GuestStatusError`.
    static func wrap(_ body: @escaping @Sendable (KernelCall) throws -> UInt32) -> KernelHandler {
        { call in
            do {
                let status = try body(call)
                if status != NTStatus.success { call.note(AreaStatus.name(status)) }
                return UInt64(status)
            } catch let failure as GuestStatusError {
                call.note(AreaStatus.name(failure.status))
                return UInt64(failure.status)
            }
        }
    }

    /// Writes an information class the way the configuration manager and file systems
    /// do: `*ResultLength = required` always; a buffer shorter than the fixed part gets
    /// nothing (STATUS_BUFFER_TOO_SMALL, or `tooSmall`); otherwise the fixed part and as
    /// much of each variable part as fits (STATUS_BUFFER_OVERFLOW when something was cut).
    static func emit(_ kernel: Kernel, buffer: UInt64, length: UInt32, fixed: [UInt8], parts: [(offset: Int, bytes: [UInt8])],
                     resultLength: UInt64, tooSmall: UInt32 = NTStatus.bufferTooSmall) throws -> UInt32 {
        let required = parts.reduce(fixed.count) { max($0, $1.offset + $1.bytes.count) }
        if resultLength != 0 { try kernel.writeU32(resultLength, UInt32(clamping: required)) }
        let length = Int(length)
        guard length >= fixed.count else { return tooSmall }
        try kernel.writeBytes(buffer, fixed)
        var status = NTStatus.success
        for part in parts where !part.bytes.isEmpty {
            let room = max(0, length - part.offset)
            let count = min(room, part.bytes.count)
            if count < part.bytes.count { status = NTStatus.bufferOverflow }
            if count > 0 { try kernel.writeBytes(buffer &+ UInt64(part.offset), Array(part.bytes[..<count])) }
        }
        return status
    }

    /// IO_STATUS_BLOCK: Status (pointer-sized union) and Information.
    static func ioStatus(_ kernel: Kernel, _ block: UInt64, _ status: UInt32, _ information: UInt64) throws {
        guard block != 0 else { return }
        try kernel.writeU64(block &+ UInt64(Layout.Files.IoStatusBlock.status), UInt64(status))
        try kernel.writeU64(block &+ UInt64(Layout.Files.IoStatusBlock.information), information)
    }

    /// OBJECT_ATTRIBUTES → (RootDirectory, ObjectName text, Attributes). Length must be 0x30.
    static func objectAttributes(_ kernel: Kernel, _ address: UInt64) throws -> (root: UInt64, name: [UInt16]?, attributes: UInt32) {
        guard address != 0 else { throw GuestStatusError(NTStatus.invalidParameter) }
        typealias OA = Layout.ObjectAttributes
        guard try kernel.readU32(address &+ UInt64(OA.length)) == UInt32(OA.size) else { throw GuestStatusError(NTStatus.invalidParameter) }
        let root = try kernel.readU64(address &+ UInt64(OA.rootDirectory))
        let name = try GuestText.unicodeUnits(kernel, try kernel.readU64(address &+ UInt64(OA.objectName)))
        let attributes = try kernel.readU32(address &+ UInt64(OA.attributes))
        return (root, name, attributes)
    }
}

/// Little-endian field writes into a fixed-size structure image.
struct StructImage {
    var bytes: [UInt8]
    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }

    mutating func u8(_ offset: Int, _ value: UInt8) { bytes[offset] = value }
    mutating func u16(_ offset: Int, _ value: UInt16) { put(offset, UInt64(value), 2) }
    mutating func u32(_ offset: Int, _ value: UInt32) { put(offset, UInt64(value), 4) }
    mutating func u64(_ offset: Int, _ value: UInt64) { put(offset, value, 8) }

    private mutating func put(_ offset: Int, _ value: UInt64, _ size: Int) {
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
}
