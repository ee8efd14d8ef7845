import CPU
import Memory

/// A guest address the kernel model could not read or write.
public struct GuestAccessError: Error, CustomStringConvertible {
    public var address: UInt64
    public var count: Int
    public var write: Bool
    /// The first address that was not mapped, when that was the cause (the fault a kernel
    /// routine takes for the driver: bug check 0x50 at the call).
    public var unmapped: UInt64? = nil
    public var description: String {
        "\(write ? "write" : "read") of \(count) bytes at 0x\(String(address, radix: 16)) failed: not mapped"
    }
}

/// Guest memory access for handlers, through the memory model's bounds-checked accessors;
/// lengths are capped there. Reads need the bytes mapped. Writes made while a handler runs are
/// the routine's, for the driver: they go through the same page-table and SLAT check as a driver
/// store (`MemoryModel.write(_:_:for:)`), except in memory the kernel owns. Writes outside a
/// handler (setting up an entry point's frame, the model's own objects) are privileged.
extension Kernel {
    /// The longest string a handler reads from the guest.
    public static let maxStringLength = 0x1_0000

    public func readBytes(_ address: UInt64, count: Int) throws -> [UInt8] {
        do {
            return try memory.read(address, count: count, mode: .privileged)
        } catch {
            throw accessError(error, address, count, write: false)
        }
    }

    public func writeBytes(_ address: UInt64, _ bytes: [UInt8]) throws {
        do {
            if let call = activeCall {
                try memory.write(address, bytes, for: call.routineCall)
            } else {
                try memory.write(address, bytes, mode: .privileged)
            }
        } catch {
            throw accessError(error, address, bytes.count, write: true)
        }
    }

    /// A refused write stops the entry point with its bug check, even if the handler swallows
    /// the error; anything else becomes a `GuestAccessError`.
    private func accessError(_ error: MemoryError, _ address: UInt64, _ count: Int, write: Bool) -> Error {
        switch error {
        case .refused(let violation):
            let reason = KernelStop.bugCheck(code: violation.bugCheckCode, parameters: violation.bugCheckParameters,
                                             site: violation.rip)
            stop(reason)
            return reason
        case .notMapped(let page):
            return GuestAccessError(address: address, count: count, write: write, unmapped: page)
        default:
            return GuestAccessError(address: address, count: count, write: write)
        }
    }

    public func readU8(_ a: UInt64) throws -> UInt8 { UInt8(try readInteger(a, 1)) }
    public func readU16(_ a: UInt64) throws -> UInt16 { UInt16(try readInteger(a, 2)) }
    public func readU32(_ a: UInt64) throws -> UInt32 { UInt32(try readInteger(a, 4)) }
    public func readU64(_ a: UInt64) throws -> UInt64 { try readInteger(a, 8) }
    public func writeU8(_ a: UInt64, _ v: UInt8) throws { try writeBytes(a, [v]) }
    public func writeU16(_ a: UInt64, _ v: UInt16) throws { try writeInteger(a, UInt64(v), 2) }
    public func writeU32(_ a: UInt64, _ v: UInt32) throws { try writeInteger(a, UInt64(v), 4) }
    public func writeU64(_ a: UInt64, _ v: UInt64) throws { try writeInteger(a, v, 8) }

    private func readInteger(_ address: UInt64, _ size: Int) throws -> UInt64 {
        try readBytes(address, count: size).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    private func writeInteger(_ address: UInt64, _ value: UInt64, _ size: Int) throws {
        try writeBytes(address, (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
    }

    /// Fills `count` bytes at `address` with `value`.
    public func fill(_ address: UInt64, count: Int, with value: UInt8 = 0) throws {
        try writeBytes(address, [UInt8](repeating: value, count: count))
    }

    /// A UNICODE_STRING at `address` (nil pointer: nil).
    public func readUnicodeString(_ address: UInt64) throws -> String? {
        guard address != 0 else { return nil }
        let length = Int(try readU16(address &+ UInt64(Layout.UnicodeString.length)))
        let buffer = try readU64(address &+ UInt64(Layout.UnicodeString.buffer))
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
        try writeU16(address &+ UInt64(Layout.UnicodeString.length), UInt16(clamping: length))
        try writeU16(address &+ UInt64(Layout.UnicodeString.maximumLength), UInt16(clamping: maximumLength))
        try writeU32(address &+ 4, 0)
        try writeU64(address &+ UInt64(Layout.UnicodeString.buffer), buffer)
    }

    /// Allocates a UNICODE_STRING and its NUL-terminated buffer in kernel memory.
    public func makeUnicodeString(_ text: String, name: String) throws -> UInt64 {
        let units = Array(text.utf16.prefix(0x7FFE))
        var bytes: [UInt8] = units.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        bytes += [0, 0]
        let header = try heap.allocate(Layout.UnicodeString.size + bytes.count, name: name)
        let buffer = header &+ UInt64(Layout.UnicodeString.size)
        try writeBytes(buffer, bytes)
        try writeUnicodeStringHeader(header, buffer: buffer, length: units.count * 2, maximumLength: bytes.count)
        return header
    }

    func decodeUTF16(_ bytes: [UInt8]) -> String {
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return String(decoding: units, as: UTF16.self)
    }
}
