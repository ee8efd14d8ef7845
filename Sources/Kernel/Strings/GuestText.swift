/// Guest strings as the NT string DDIs see them: UNICODE_STRING / ANSI_STRING
/// headers, NUL-terminated wide and byte strings (read page by page, capped),
/// the ANSI code page (Windows-1252) and RtlUpcaseUnicodeChar's case mapping.
enum GuestText {
    /// The longest counted string: USHORT Length, even for UNICODE_STRING.
    static let maxCountedBytes = 0xFFFE

    /// The code units of a UNICODE_STRING (nil for a NULL pointer).
    static func unicodeUnits(_ kernel: Kernel, _ address: UInt64) throws -> [UInt16]? {
        guard address != 0 else { return nil }
        let length = Int(try kernel.readU16(address &+ UInt64(Layout.UnicodeString.length))) & ~1
        let buffer = try kernel.readU64(address &+ UInt64(Layout.UnicodeString.buffer))
        guard length > 0, buffer != 0 else { return [] }
        return units(try kernel.readBytes(buffer, count: length))
    }

    /// The bytes of an ANSI_STRING / STRING (nil for a NULL pointer).
    static func ansiBytes(_ kernel: Kernel, _ address: UInt64) throws -> [UInt8]? {
        guard address != 0 else { return nil }
        let length = Int(try kernel.readU16(address &+ UInt64(Layout.Strings.AnsiString.length)))
        let buffer = try kernel.readU64(address &+ UInt64(Layout.Strings.AnsiString.buffer))
        guard length > 0, buffer != 0 else { return [] }
        return try kernel.readBytes(buffer, count: length)
    }

    /// (Length, MaximumLength, Buffer) of a counted string header.
    static func header(_ kernel: Kernel, _ address: UInt64) throws -> (length: Int, maximum: Int, buffer: UInt64) {
        (Int(try kernel.readU16(address)), Int(try kernel.readU16(address &+ 2)), try kernel.readU64(address &+ 8))
    }

    static func setLength(_ kernel: Kernel, _ address: UInt64, _ length: Int) throws {
        try kernel.writeU16(address, UInt16(clamping: length))
    }

    /// A NUL-terminated UTF-16 string's code units (without the NUL), at most `max` units.
    static func wideZ(_ kernel: Kernel, _ address: UInt64, max: Int = Kernel.maxStringLength) throws -> [UInt16] {
        var result: [UInt16] = []
        var at = address
        while result.count < max {
            let toPage = Int(0x1000 &- (at & 0xFFF))
            let count = Swift.max(2, Swift.min(toPage, (max - result.count) * 2, 512)) & ~1
            let chunk: [UInt8]
            if toPage < 2 {
                chunk = try kernel.readBytes(at, count: 2)
            } else {
                chunk = try kernel.readBytes(at, count: count)
            }
            for unit in units(chunk) {
                if unit == 0 || result.count >= max { return result }
                result.append(unit)
            }
            at &+= UInt64(chunk.count)
        }
        return result
    }

    /// A NUL-terminated byte string (without the NUL), at most `max` bytes.
    static func bytesZ(_ kernel: Kernel, _ address: UInt64, max: Int = Kernel.maxStringLength) throws -> [UInt8] {
        var result: [UInt8] = []
        var at = address
        while result.count < max {
            let toPage = Int(0x1000 &- (at & 0xFFF))
            let chunk = try kernel.readBytes(at, count: Swift.max(1, Swift.min(toPage, max - result.count, 512)))
            for byte in chunk {
                if byte == 0 || result.count >= max { return result }
                result.append(byte)
            }
            at &+= UInt64(chunk.count)
        }
        return result
    }

    static func units(_ bytes: [UInt8]) -> [UInt16] {
        var result: [UInt16] = []
        result.reserveCapacity(bytes.count / 2)
        var index = 0
        while index + 1 < bytes.count {
            result.append(UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8)
            index += 2
        }
        return result
    }

    static func bytes(_ units: [UInt16]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(units.count * 2)
        for unit in units { result.append(UInt8(truncatingIfNeeded: unit)); result.append(UInt8(truncatingIfNeeded: unit >> 8)) }
        return result
    }

    static func string(_ units: [UInt16]) -> String { String(decoding: units, as: UTF16.self) }

    // MARK: Code page (Windows-1252, the ANSI code page of en-US Windows)

    private static let cp1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    static func ansiToUnicode(_ byte: UInt8) -> UInt16 {
        (0x80...0x9F).contains(byte) ? cp1252High[Int(byte) - 0x80] : UInt16(byte)
    }

    /// The ANSI byte for a UTF-16 unit; nil when the code page has none (callers write '?').
    static func unicodeToAnsi(_ unit: UInt16) -> UInt8? {
        if unit < 0x80 || (0xA0...0xFF).contains(unit) { return UInt8(unit) }
        if let index = cp1252High.firstIndex(of: unit) { return UInt8(0x80 + index) }
        return nil
    }

    static func ansiToUnicode(_ bytes: [UInt8]) -> [UInt16] { bytes.map { ansiToUnicode($0) } }
    static func unicodeToAnsi(_ units: [UInt16]) -> [UInt8] { units.map { unicodeToAnsi($0) ?? UInt8(ascii: "?") } }

    // MARK: Case (RtlUpcaseUnicodeChar: one-to-one mappings only)

    static func upcase(_ unit: UInt16) -> UInt16 {
        if unit < 0x80 { return (0x61...0x7A).contains(unit) ? unit - 0x20 : unit }
        guard let scalar = Unicode.Scalar(unit) else { return unit }
        let mapped = scalar.properties.uppercaseMapping.unicodeScalars
        guard mapped.count == 1, let first = mapped.first, first.value <= 0xFFFF else { return unit }
        return UInt16(first.value)
    }

    static func downcase(_ unit: UInt16) -> UInt16 {
        if unit < 0x80 { return (0x41...0x5A).contains(unit) ? unit + 0x20 : unit }
        guard let scalar = Unicode.Scalar(unit) else { return unit }
        let mapped = scalar.properties.lowercaseMapping.unicodeScalars
        guard mapped.count == 1, let first = mapped.first, first.value <= 0xFFFF else { return unit }
        return UInt16(first.value)
    }

    static func upcaseAnsi(_ byte: UInt8) -> UInt8 { (0x61...0x7A).contains(byte) ? byte - 0x20 : byte }
    static func downcaseAnsi(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte + 0x20 : byte }
}
