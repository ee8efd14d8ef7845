/// Bounds-checked little-endian reads over an image file's bytes.
///
/// Every read names the field it is for, so a short file turns into
/// `PEError.truncated(field:offset:…)` instead of a Swift trap. Offsets are
/// `Int`; callers converting guest/file values go through `offset(_:field:at:)`
/// which rejects values that do not fit.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var count: Int { bytes.count }

    /// Throws unless `size` bytes starting at `offset` are inside the file.
    @inlinable
    public func require(_ field: String, at offset: Int, size: Int) throws {
        guard offset >= 0, size >= 0, offset <= bytes.count, size <= bytes.count - offset else {
            throw PEError.truncated(field: field, offset: offset, size: size, fileSize: bytes.count)
        }
    }

    @inlinable
    public func u8(_ field: String, at offset: Int) throws -> UInt8 {
        try require(field, at: offset, size: 1)
        return bytes[offset]
    }

    @inlinable
    public func u16(_ field: String, at offset: Int) throws -> UInt16 {
        try require(field, at: offset, size: 2)
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    @inlinable
    public func u32(_ field: String, at offset: Int) throws -> UInt32 {
        try require(field, at: offset, size: 4)
        var value: UInt32 = 0
        for i in (0..<4).reversed() { value = value << 8 | UInt32(bytes[offset + i]) }
        return value
    }

    @inlinable
    public func u64(_ field: String, at offset: Int) throws -> UInt64 {
        try require(field, at: offset, size: 8)
        var value: UInt64 = 0
        for i in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }

    /// A pointer-sized value: 8 bytes in PE32+, 4 in PE32.
    @inlinable
    public func pointer(_ field: String, at offset: Int, wide: Bool) throws -> UInt64 {
        wide ? try u64(field, at: offset) : UInt64(try u32(field, at: offset))
    }

    public func slice(_ field: String, at offset: Int, size: Int) throws -> ArraySlice<UInt8> {
        try require(field, at: offset, size: size)
        return bytes[offset..<(offset + size)]
    }

    /// A NUL-terminated ASCII string of at most `maxLength` bytes. A name that
    /// runs to the end of the file, or past `maxLength`, is an error: the loader
    /// would read beyond the structure.
    public func cString(_ field: String, at offset: Int, maxLength: Int = 4096) throws -> String {
        try require(field, at: offset, size: 1)
        let limit = min(bytes.count, offset + maxLength)
        var end = offset
        while end < limit, bytes[end] != 0 { end += 1 }
        guard end < limit else {
            if limit == bytes.count {
                throw PEError.inconsistent(field: field, offset: offset,
                                           reason: "string has no NUL terminator before the end of the file")
            }
            throw PEError.inconsistent(field: field, offset: offset,
                                       reason: "string has no NUL terminator within \(maxLength) bytes")
        }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// A fixed-size, NUL-padded name such as a section name.
    public func paddedName(_ field: String, at offset: Int, size: Int) throws -> String {
        let raw = try slice(field, at: offset, size: size)
        let trimmed = raw.prefix { $0 != 0 }
        return String(decoding: trimmed, as: UTF8.self)
    }
}

extension ByteReader {
    /// Converts a 64-bit file value into an `Int` offset, rejecting values that
    /// do not fit (a hostile header can hold anything).
    @inlinable
    public static func offset(_ value: UInt64, field: String, at where_: Int) throws -> Int {
        guard value <= UInt64(Int.max) else {
            throw PEError.invalidValue(field: field, offset: where_, value: value, reason: "does not fit a file offset")
        }
        return Int(value)
    }
}
