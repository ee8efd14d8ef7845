import CPU
import Memory

/// A guest address the kernel model could not read or write.
public struct GuestAccessError: Error, CustomStringConvertible {
    public var address: UInt64
    public var count: Int
    public var write: Bool
    public var description: String {
        "\(write ? "write" : "read") of \(count) bytes at 0x\(String(address, radix: 16)) failed: not mapped"
    }
}

/// Guest memory access for handlers: the memory model's bounds-checked
/// accessors in privileged mode (the kernel's rights: page protections do not
/// apply), failing with `GuestAccessError` on unmapped bytes; lengths are capped there.
extension Kernel {
    /// The longest string a handler reads from the guest.
    public static let maxStringLength = 0x1_0000

    public func readBytes(_ address: UInt64, count: Int) throws -> [UInt8] {
        do {
            return try memory.read(address, count: count, mode: .privileged)
        } catch {
            throw GuestAccessError(address: address, count: count, write: false)
        }
    }

    public func writeBytes(_ address: UInt64, _ bytes: [UInt8]) throws {
        do {
            try memory.write(address, bytes, mode: .privileged)
        } catch {
            throw GuestAccessError(address: address, count: bytes.count, write: true)
        }
    }

    /// Runs one of the memory model's accessors, turning its error into a `GuestAccessError`.
    private func access<T>(_ address: UInt64, _ size: Int, write: Bool, _ body: () throws(MemoryError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw GuestAccessError(address: address, count: size, write: write)
        }
    }

    public func readU8(_ a: UInt64) throws -> UInt8 { try access(a, 1, write: false) { () throws(MemoryError) in try memory.readU8(a, mode: .privileged) } }
    public func readU16(_ a: UInt64) throws -> UInt16 { try access(a, 2, write: false) { () throws(MemoryError) in try memory.readU16(a, mode: .privileged) } }
    public func readU32(_ a: UInt64) throws -> UInt32 { try access(a, 4, write: false) { () throws(MemoryError) in try memory.readU32(a, mode: .privileged) } }
    public func readU64(_ a: UInt64) throws -> UInt64 { try access(a, 8, write: false) { () throws(MemoryError) in try memory.readU64(a, mode: .privileged) } }
    public func writeU8(_ a: UInt64, _ v: UInt8) throws { try access(a, 1, write: true) { () throws(MemoryError) in try memory.writeU8(a, v, mode: .privileged) } }
    public func writeU16(_ a: UInt64, _ v: UInt16) throws { try access(a, 2, write: true) { () throws(MemoryError) in try memory.writeU16(a, v, mode: .privileged) } }
    public func writeU32(_ a: UInt64, _ v: UInt32) throws { try access(a, 4, write: true) { () throws(MemoryError) in try memory.writeU32(a, v, mode: .privileged) } }
    public func writeU64(_ a: UInt64, _ v: UInt64) throws { try access(a, 8, write: true) { () throws(MemoryError) in try memory.writeU64(a, v, mode: .privileged) } }

    /// Fills `count` bytes at `address` with `value`.
    public func fill(_ address: UInt64, count: Int, with value: UInt8 = 0) throws {
        try writeBytes(address, [UInt8](repeating: value, count: count))
    }

    /// A UNICODE_STRING at `address` (nil pointer: nil).
    public func readUnicodeString(_ address: UInt64) throws -> String? {
        guard address != 0 else { return nil }
        let length = Int(try readU16(address + UInt64(Layout.UnicodeString.length)))
        let buffer = try readU64(address + UInt64(Layout.UnicodeString.buffer))
        guard length > 0, buffer != 0 else { return "" }
        return try decodeUTF16(readBytes(buffer, count: length & ~1))
    }

    /// A NUL-terminated UTF-16 string of at most `maxLength` characters.
    public func readWideString(_ address: UInt64, maxLength: Int = Kernel.maxStringLength) throws -> String {
        var units: [UInt16] = []
        var at = address
        while units.count < maxLength {
            let unit = try readU16(at)
            if unit == 0 { break }
            units.append(unit)
            at &+= 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// A NUL-terminated byte string of at most `maxLength` bytes.
    public func readCString(_ address: UInt64, maxLength: Int = Kernel.maxStringLength) throws -> String {
        var bytes: [UInt8] = []
        var at = address
        while bytes.count < maxLength {
            let byte = try readU8(at)
            if byte == 0 { break }
            bytes.append(byte)
            at &+= 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes a UNICODE_STRING header at `address` describing `buffer` (`length` bytes, no NUL).
    public func writeUnicodeStringHeader(_ address: UInt64, buffer: UInt64, length: Int, maximumLength: Int) throws {
        try writeU16(address + UInt64(Layout.UnicodeString.length), UInt16(clamping: length))
        try writeU16(address + UInt64(Layout.UnicodeString.maximumLength), UInt16(clamping: maximumLength))
        try writeU32(address + 4, 0)
        try writeU64(address + UInt64(Layout.UnicodeString.buffer), buffer)
    }

    /// Allocates a UNICODE_STRING and its NUL-terminated buffer in kernel memory.
    public func makeUnicodeString(_ text: String, name: String) throws -> UInt64 {
        let units = Array(text.utf16.prefix(0x7FFE))
        var bytes: [UInt8] = units.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        bytes += [0, 0]
        let header = try heap.allocate(Layout.UnicodeString.size + bytes.count, name: name)
        let buffer = header + UInt64(Layout.UnicodeString.size)
        try writeBytes(buffer, bytes)
        try writeUnicodeStringHeader(header, buffer: buffer, length: units.count * 2, maximumLength: bytes.count)
        return header
    }

    func decodeUTF16(_ bytes: [UInt8]) -> String {
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return String(decoding: units, as: UTF16.self)
    }
}
