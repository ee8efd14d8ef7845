/// Rtl string DDIs: counted strings (UNICODE_STRING, ANSI_STRING), the ANSI
/// code page (Windows-1252), integers, GUIDs, hashes and FsRtl name matching.
/// Strings the DDIs allocate come from paged pool, so RtlFree*String frees them.
enum StringsArea {
    static let poolTag: UInt32 = 0x67727453 // 'Strg'

    static let handlers: [KernelExport] = makeHandlers()

    private static func makeHandlers() -> [KernelExport] {
        var t = ExportList()
        t.ntoskrnl("RtlAnsiStringToUnicodeString", StatusHandlers.wrap { try ansiToUnicode($0) })
        t.ntoskrnl("RtlOemStringToUnicodeString", StatusHandlers.wrap { try ansiToUnicode($0) })
        t.ntoskrnl("RtlUnicodeStringToAnsiString", StatusHandlers.wrap { try unicodeToAnsi($0, upcase: false) })
        t.ntoskrnl("RtlUnicodeStringToOemString", StatusHandlers.wrap { try unicodeToAnsi($0, upcase: false) })
        t.ntoskrnl("RtlUpcaseUnicodeStringToAnsiString", StatusHandlers.wrap { try unicodeToAnsi($0, upcase: true) })
        t.ntoskrnl("RtlFreeUnicodeString") { try freeString($0) }
        t.ntoskrnl("RtlFreeAnsiString") { try freeString($0) }
        t.ntoskrnl("RtlFreeOemString") { try freeString($0) }
        t.ntoskrnl("RtlInitString") { try initAnsi($0, extended: false) }
        t.ntoskrnl("RtlInitAnsiStringEx") { try initAnsi($0, extended: true) }
        t.ntoskrnl("RtlInitUnicodeStringEx") { call in
            let kernel = call.kernel, destination = try call.arg(0), source = try call.arg(1)
            guard source != 0 else {
                try kernel.writeUnicodeStringHeader(destination, buffer: 0, length: 0, maximumLength: 0)
                return UInt64(NTStatus.success)
            }
            let units = try GuestText.wideZ(kernel, source, max: 0x7FFF)
            guard units.count * 2 <= 0xFFFC else { return UInt64(AreaStatus.nameTooLong) }
            try kernel.writeUnicodeStringHeader(destination, buffer: source, length: units.count * 2, maximumLength: units.count * 2 + 2)
            return UInt64(NTStatus.success)
        }
        t.ntoskrnl("RtlCreateUnicodeString") { call in
            let units = try GuestText.wideZ(call.kernel, call.arg(1), max: 0x7FFE)
            return try allocateUnicode(call.kernel, call.arg(0), units, terminate: true) == NTStatus.success ? 1 : 0
        }
        t.ntoskrnl("RtlCreateUnicodeStringFromAsciiz") { call in
            let bytes = try GuestText.bytesZ(call.kernel, call.arg(1), max: 0x7FFE)
            return try allocateUnicode(call.kernel, call.arg(0), GuestText.ansiToUnicode(bytes), terminate: true) == NTStatus.success ? 1 : 0
        }
        t.ntoskrnl("RtlCopyString") { call in
            let kernel = call.kernel, destination = try call.arg(0), source = try call.arg(1)
            guard let bytes = try GuestText.ansiBytes(kernel, source) else {
                try GuestText.setLength(kernel, destination, 0)
                return 0
            }
            let (_, maximum, buffer) = try GuestText.header(kernel, destination)
            let count = min(bytes.count, maximum)
            if count > 0 { try kernel.writeBytes(buffer, Array(bytes[..<count])) }
            if count < maximum { try kernel.writeU8(buffer &+ UInt64(count), 0) }
            try GuestText.setLength(kernel, destination, count)
            return 0
        }
        t.ntoskrnl("RtlCompareUnicodeString") { call in
            let a = try GuestText.unicodeUnits(call.kernel, call.arg(0)) ?? [], b = try GuestText.unicodeUnits(call.kernel, call.arg(1)) ?? []
            let insensitive = try call.arg(2) & 0xFF != 0
            return signed(compare(a, b, fold: insensitive ? GuestText.upcase : { $0 }))
        }
        t.ntoskrnl("RtlCompareString") { call in
            let a = try GuestText.ansiBytes(call.kernel, call.arg(0)) ?? [], b = try GuestText.ansiBytes(call.kernel, call.arg(1)) ?? []
            let insensitive = try call.arg(2) & 0xFF != 0
            return signed(compare(a, b, fold: insensitive ? GuestText.upcaseAnsi : { $0 }))
        }
        t.ntoskrnl("RtlEqualUnicodeString") { call in
            let a = try GuestText.unicodeUnits(call.kernel, call.arg(0)) ?? [], b = try GuestText.unicodeUnits(call.kernel, call.arg(1)) ?? []
            let insensitive = try call.arg(2) & 0xFF != 0
            return a.count == b.count && compare(a, b, fold: insensitive ? GuestText.upcase : { $0 }) == 0 ? 1 : 0
        }
        t.ntoskrnl("RtlEqualString") { call in
            let a = try GuestText.ansiBytes(call.kernel, call.arg(0)) ?? [], b = try GuestText.ansiBytes(call.kernel, call.arg(1)) ?? []
            let insensitive = try call.arg(2) & 0xFF != 0
            return a.count == b.count && compare(a, b, fold: insensitive ? GuestText.upcaseAnsi : { $0 }) == 0 ? 1 : 0
        }
        t.ntoskrnl("RtlPrefixUnicodeString") { try prefixUnicode($0) }
        t.ntoskrnl("RtlPrefixString") { try prefixAnsi($0) }
        t.ntoskrnl("RtlAppendUnicodeToString", StatusHandlers.wrap { call in
            let source = try call.arg(1)
            let units = source == 0 ? [] : try GuestText.wideZ(call.kernel, source, max: 0x7FFF)
            return try appendUnicode(call.kernel, call.arg(0), units)
        })
        t.ntoskrnl("RtlAppendUnicodeStringToString", StatusHandlers.wrap { call in
            try appendUnicode(call.kernel, call.arg(0), try GuestText.unicodeUnits(call.kernel, call.arg(1)) ?? [])
        })
        t.ntoskrnl("RtlAppendStringToString", StatusHandlers.wrap { call in
            let kernel = call.kernel, destination = try call.arg(0)
            let bytes = try GuestText.ansiBytes(kernel, call.arg(1)) ?? []
            guard !bytes.isEmpty else { return NTStatus.success }
            let (length, maximum, buffer) = try GuestText.header(kernel, destination)
            guard length + bytes.count <= maximum else { return NTStatus.bufferTooSmall }
            try kernel.writeBytes(buffer &+ UInt64(length), bytes)
            try GuestText.setLength(kernel, destination, length + bytes.count)
            return NTStatus.success
        })
        t.ntoskrnl("RtlUpcaseUnicodeString", StatusHandlers.wrap { try convertCase($0, GuestText.upcase) })
        t.ntoskrnl("RtlDowncaseUnicodeString", StatusHandlers.wrap { try convertCase($0, GuestText.downcase) })
        t.ntoskrnl("RtlUpcaseUnicodeChar") { call in UInt64(GuestText.upcase(UInt16(truncatingIfNeeded: try call.arg(0)))) }
        t.ntoskrnl("RtlDowncaseUnicodeChar") { call in UInt64(GuestText.downcase(UInt16(truncatingIfNeeded: try call.arg(0)))) }
        t.ntoskrnl("RtlUpperChar") { call in
            let byte = UInt8(truncatingIfNeeded: try call.arg(0))
            return UInt64(GuestText.unicodeToAnsi(GuestText.upcase(GuestText.ansiToUnicode(byte))) ?? byte)
        }
        t.ntoskrnl("RtlUpperString") { call in
            let kernel = call.kernel, destination = try call.arg(0)
            let bytes = try GuestText.ansiBytes(kernel, call.arg(1)) ?? []
            let (_, maximum, buffer) = try GuestText.header(kernel, destination)
            let count = min(bytes.count, maximum)
            if count > 0 { try kernel.writeBytes(buffer, bytes[..<count].map(GuestText.upcaseAnsi)) }
            try GuestText.setLength(kernel, destination, count)
            return 0
        }
        t.ntoskrnl("RtlUnicodeStringToInteger", StatusHandlers.wrap { call in
            let units = try GuestText.unicodeUnits(call.kernel, call.arg(0)) ?? []
            return try parseInteger(call, units.map { UInt32($0) }, base: call.arg32(1), out: call.arg(2))
        })
        t.ntoskrnl("RtlCharToInteger", StatusHandlers.wrap { call in
            let bytes = try GuestText.bytesZ(call.kernel, call.arg(0), max: 0x1000)
            return try parseInteger(call, bytes.map { UInt32($0) }, base: call.arg32(1), out: call.arg(2))
        })
        t.ntoskrnl("RtlIntegerToUnicodeString", StatusHandlers.wrap { call in
            try integerToUnicode(call, value: UInt64(try call.arg32(0)), base: call.arg32(1), destination: call.arg(2))
        })
        t.ntoskrnl("RtlInt64ToUnicodeString", StatusHandlers.wrap { call in
            try integerToUnicode(call, value: call.arg(0), base: call.arg32(1), destination: call.arg(2))
        })
        t.ntoskrnl("RtlIntegerToChar", StatusHandlers.wrap { call in
            // RtlIntegerToChar(Value, Base, OutputLength, String): NUL only when there is room.
            guard let digits = digits(UInt64(try call.arg32(0)), base: try call.arg32(1)) else { return NTStatus.invalidParameter }
            let room = Int(Int32(bitPattern: try call.arg32(2)))
            let length = room < 0 ? digits.count + 1 : room
            guard digits.count <= length else { return NTStatus.bufferOverflow }
            try call.kernel.writeBytes(call.arg(3), digits + (digits.count < length ? [0] : []))
            return NTStatus.success
        })
        t.ntoskrnl("RtlDuplicateUnicodeString", StatusHandlers.wrap { try duplicate($0) })
        t.ntoskrnl("RtlHashUnicodeString", StatusHandlers.wrap { call in
            let string = try call.arg(0), insensitive = try call.arg(1) & 0xFF != 0
            let algorithm = try call.arg32(2), out = try call.arg(3)
            guard string != 0, out != 0, algorithm <= 1 else { return NTStatus.invalidParameter }
            var hash: UInt32 = 0
            for unit in try GuestText.unicodeUnits(call.kernel, string) ?? [] {
                hash = hash &* 65599 &+ UInt32(insensitive ? GuestText.upcase(unit) : unit)
            }
            try call.kernel.writeU32(out, hash)
            return NTStatus.success
        })
        t.ntoskrnl("RtlMultiByteToUnicodeN", StatusHandlers.wrap { call in
            // (UnicodeString, MaxBytesInUnicodeString, BytesInUnicodeString, MultiByteString, BytesInMultiByteString)
            let kernel = call.kernel
            let maxBytes = Int(try call.arg32(1)), count = min(Int(try call.arg32(4)), maxBytes / 2)
            let units = GuestText.ansiToUnicode(count == 0 ? [] : try kernel.readBytes(call.arg(3), count: count))
            if !units.isEmpty { try kernel.writeBytes(call.arg(0), GuestText.bytes(units)) }
            if try call.arg(2) != 0 { try kernel.writeU32(call.arg(2), UInt32(units.count * 2)) }
            return NTStatus.success
        })
        t.ntoskrnl("RtlUnicodeToMultiByteN", StatusHandlers.wrap { call in
            // (MultiByteString, MaxBytesInMultiByteString, BytesInMultiByteString, UnicodeString, BytesInUnicodeString)
            let kernel = call.kernel
            let count = min(Int(try call.arg32(4)) / 2, Int(try call.arg32(1)))
            let bytes = GuestText.unicodeToAnsi(count == 0 ? [] : GuestText.units(try kernel.readBytes(call.arg(3), count: count * 2)))
            if !bytes.isEmpty { try kernel.writeBytes(call.arg(0), bytes) }
            if try call.arg(2) != 0 { try kernel.writeU32(call.arg(2), UInt32(bytes.count)) }
            return NTStatus.success
        })
        t.ntoskrnl("RtlUnicodeToMultiByteSize", StatusHandlers.wrap { call in
            try call.kernel.writeU32(call.arg(0), try call.arg32(2) / 2)
            return NTStatus.success
        })
        t.ntoskrnl("RtlMultiByteToUnicodeSize", StatusHandlers.wrap { call in
            try call.kernel.writeU32(call.arg(0), try call.arg32(2) &* 2)
            return NTStatus.success
        })
        t.ntoskrnl("RtlxAnsiStringToUnicodeSize") { call in UInt64((Int(try call.kernel.readU16(call.arg(0))) + 1) * 2) }
        t.ntoskrnl("RtlxOemStringToUnicodeSize") { call in UInt64((Int(try call.kernel.readU16(call.arg(0))) + 1) * 2) }
        t.ntoskrnl("RtlxUnicodeStringToAnsiSize") { call in UInt64(Int(try call.kernel.readU16(call.arg(0))) / 2 + 1) }
        t.ntoskrnl("RtlxUnicodeStringToOemSize") { call in UInt64(Int(try call.kernel.readU16(call.arg(0))) / 2 + 1) }
        t.ntoskrnl("RtlUnicodeToUTF8N", StatusHandlers.wrap { try unicodeToUTF8($0) })
        t.ntoskrnl("RtlUTF8ToUnicodeN", StatusHandlers.wrap { try utf8ToUnicode($0) })
        t.ntoskrnl("FsRtlIsNameInExpression") { call in
            let expression = try GuestText.unicodeUnits(call.kernel, call.arg(0)) ?? []
            var name = try GuestText.unicodeUnits(call.kernel, call.arg(1)) ?? []
            if try call.arg(2) & 0xFF != 0 { name = name.map(GuestText.upcase) } // the caller passes Expression upper-cased
            let result = Wildcard.matches(expression: expression, name: name)
            call.note("\(GuestText.string(expression)) ~ \(GuestText.string(name)): \(result)")
            return result ? 1 : 0
        }
        t.ntoskrnl("FsRtlDoesNameContainWildCards") { call in
            Wildcard.containsWildcards(try GuestText.unicodeUnits(call.kernel, call.arg(0)) ?? []) ? 1 : 0
        }
        t.ntoskrnl("RtlStringFromGUID", StatusHandlers.wrap { call in
            let bytes = try call.kernel.readBytes(call.arg(0), count: 16)
            return try allocateUnicode(call.kernel, call.arg(1), Array(guidString(bytes).utf16), terminate: true)
        })
        t.ntoskrnl("RtlGUIDFromString", StatusHandlers.wrap { call in
            let units = try GuestText.unicodeUnits(call.kernel, call.arg(0)) ?? []
            guard let bytes = parseGUID(GuestText.string(units)) else { return NTStatus.invalidParameter }
            try call.kernel.writeBytes(call.arg(1), bytes)
            return NTStatus.success
        })
        t.ntoskrnl("RtlZeroMemory") { call in
            try CRTArea.fill(call.kernel, call.arg(0), count: Int(min(try call.arg(1), UInt64(CRTArea.maxLength))), pattern: [0])
            return 0
        }
        t.ntoskrnl("RtlSecureZeroMemory") { call in
            try CRTArea.fill(call.kernel, call.arg(0), count: Int(min(try call.arg(1), UInt64(CRTArea.maxLength))), pattern: [0])
            return try call.arg(0)
        }
        t.ntoskrnl("RtlFillMemory") { call in
            try CRTArea.fill(call.kernel, call.arg(0), count: Int(min(try call.arg(1), UInt64(CRTArea.maxLength))),
                             pattern: [UInt8(truncatingIfNeeded: try call.arg(2))])
            return 0
        }
        t.ntoskrnl("RtlMoveMemory") { try CRTArea.copy($0) }
        t.ntoskrnl("RtlCopyMemory") { try CRTArea.copy($0) }
        t.ntoskrnl("RtlCopyMemoryNonTemporal") { try CRTArea.copy($0) }
        t.ntoskrnl("RtlFillMemoryUlong") { call in
            // (Destination, Length, Pattern): whole ULONGs only.
            let count = Int(min(try call.arg(1), UInt64(CRTArea.maxLength))) / 4
            let pattern = try call.arg32(2)
            let bytes = (0..<4).map { UInt8(truncatingIfNeeded: pattern >> (8 * UInt32($0))) }
            try CRTArea.fill(call.kernel, call.arg(0), count: count * 4, pattern: bytes)
            return 0
        }
        t.ntoskrnl("RtlCompareMemoryUlong") { call in
            // (Source, Length, Pattern) → bytes matching, in whole ULONGs.
            let count = Int(min(try call.arg(1), UInt64(CRTArea.maxLength))) / 4
            let pattern = try call.arg32(2)
            let data = try call.kernel.readBytes(call.arg(0), count: count * 4)
            var matched = 0
            while matched < count {
                let v = UInt32(data[matched * 4]) | UInt32(data[matched * 4 + 1]) << 8
                    | UInt32(data[matched * 4 + 2]) << 16 | UInt32(data[matched * 4 + 3]) << 24
                guard v == pattern else { break }
                matched += 1
            }
            return UInt64(matched * 4)
        }
        return t.exports
    }

    // MARK: Helpers

    static func prefixUnicode(_ call: KernelCall) throws -> UInt64 {
        let prefix: [UInt16] = try GuestText.unicodeUnits(call.kernel, call.arg(0)) ?? []
        let text: [UInt16] = try GuestText.unicodeUnits(call.kernel, call.arg(1)) ?? []
        let insensitive = try call.arg(2) & 0xFF != 0
        return isPrefix(prefix, of: text, fold: insensitive ? GuestText.upcase : { $0 }) ? 1 : 0
    }

    static func prefixAnsi(_ call: KernelCall) throws -> UInt64 {
        let prefix: [UInt8] = try GuestText.ansiBytes(call.kernel, call.arg(0)) ?? []
        let text: [UInt8] = try GuestText.ansiBytes(call.kernel, call.arg(1)) ?? []
        let insensitive = try call.arg(2) & 0xFF != 0
        return isPrefix(prefix, of: text, fold: insensitive ? GuestText.upcaseAnsi : { $0 }) ? 1 : 0
    }

    static func isPrefix<T: Equatable>(_ prefix: [T], of text: [T], fold: (T) -> T) -> Bool {
        guard prefix.count <= text.count else { return false }
        for index in prefix.indices where fold(prefix[index]) != fold(text[index]) { return false }
        return true
    }

    static func signed(_ value: Int) -> UInt64 { UInt64(bitPattern: Int64(value)) }

    /// RtlCompare*String: the difference of the first differing (folded) characters, else of the lengths.
    static func compare<T: FixedWidthInteger>(_ a: [T], _ b: [T], fold: (T) -> T) -> Int {
        for (x, y) in zip(a, b) {
            let fx = fold(x), fy = fold(y)
            if fx != fy { return Int(fx) - Int(fy) }
        }
        return a.count - b.count
    }

    /// Fills a UNICODE_STRING with a new pool buffer holding `units` (+ NUL when `terminate`).
    static func allocateUnicode(_ kernel: Kernel, _ destination: UInt64, _ units: [UInt16], terminate: Bool) throws -> UInt32 {
        let bytes = GuestText.bytes(units) + (terminate ? [0, 0] : [])
        guard bytes.count <= GuestText.maxCountedBytes + 2, units.count * 2 <= GuestText.maxCountedBytes else {
            return AreaStatus.nameTooLong
        }
        let buffer = try kernel.allocatePool(size: UInt64(max(bytes.count, 2)), tag: poolTag, poolType: 1, executable: false)
        guard buffer != 0 else { return NTStatus.noMemory }
        if !bytes.isEmpty { try kernel.writeBytes(buffer, bytes) }
        try kernel.writeUnicodeStringHeader(destination, buffer: buffer, length: units.count * 2, maximumLength: min(bytes.count, 0xFFFF))
        return NTStatus.success
    }

    /// RtlAnsiStringToUnicodeString(DestinationString, SourceString, AllocateDestinationString).
    static func ansiToUnicode(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel, destination = try call.arg(0), allocate = try call.arg(2) & 0xFF != 0
        let bytes = try GuestText.ansiBytes(kernel, call.arg(1)) ?? []
        let units = GuestText.ansiToUnicode(bytes)
        let length = units.count * 2
        guard length + 2 <= 0xFFFF else { return AreaStatus.invalidParameter2 }
        if allocate { return try allocateUnicode(kernel, destination, units, terminate: true) }
        let (_, maximum, buffer) = try GuestText.header(kernel, destination)
        guard length <= maximum else { return NTStatus.bufferOverflow }
        try kernel.writeBytes(buffer, GuestText.bytes(units) + (length + 2 <= maximum ? [0, 0] : []))
        try GuestText.setLength(kernel, destination, length)
        return NTStatus.success
    }

    /// RtlUnicodeStringToAnsiString(DestinationString, SourceString, AllocateDestinationString):
    /// always NUL-terminated; a short buffer gets what fits and STATUS_BUFFER_OVERFLOW.
    static func unicodeToAnsi(_ call: KernelCall, upcase: Bool) throws -> UInt32 {
        let kernel = call.kernel, destination = try call.arg(0), allocate = try call.arg(2) & 0xFF != 0
        var units = try GuestText.unicodeUnits(kernel, call.arg(1)) ?? []
        if upcase { units = units.map(GuestText.upcase) }
        let bytes = GuestText.unicodeToAnsi(units)
        guard bytes.count + 1 <= 0xFFFF else { return AreaStatus.invalidParameter2 }
        if allocate {
            let buffer = try kernel.allocatePool(size: UInt64(bytes.count + 1), tag: poolTag, poolType: 1, executable: false)
            guard buffer != 0 else { return NTStatus.noMemory }
            try kernel.writeBytes(buffer, bytes + [0])
            try kernel.writeU16(destination, UInt16(bytes.count))
            try kernel.writeU16(destination &+ 2, UInt16(bytes.count + 1))
            try kernel.writeU64(destination &+ 8, buffer)
            return NTStatus.success
        }
        let (_, maximum, buffer) = try GuestText.header(kernel, destination)
        guard maximum > 0 else { return NTStatus.bufferOverflow }
        let count = min(bytes.count, maximum - 1)
        try kernel.writeBytes(buffer, Array(bytes[..<count]) + [0])
        try GuestText.setLength(kernel, destination, count)
        return count < bytes.count ? NTStatus.bufferOverflow : NTStatus.success
    }

    /// RtlFree*String(String): frees a buffer the Rtl routines allocated and clears the header.
    static func freeString(_ call: KernelCall) throws -> UInt64 {
        let address = try call.arg(0)
        guard address != 0 else { return 0 }
        let buffer = try call.kernel.readU64(address &+ 8)
        if buffer != 0 { call.kernel.freePool(buffer) }
        try call.kernel.writeUnicodeStringHeader(address, buffer: 0, length: 0, maximumLength: 0)
        return 0
    }

    /// RtlInitString / RtlInitAnsiStringEx(DestinationString, SourceString).
    static func initAnsi(_ call: KernelCall, extended: Bool) throws -> UInt64 {
        let kernel = call.kernel, destination = try call.arg(0), source = try call.arg(1)
        var length = 0
        if source != 0 {
            length = try GuestText.bytesZ(kernel, source, max: 0xFFFF).count
            if length > 0xFFFE {
                if extended { return UInt64(AreaStatus.nameTooLong) }
                length = 0xFFFE
            }
        }
        try kernel.writeU16(destination, UInt16(length))
        try kernel.writeU16(destination &+ 2, UInt16(source == 0 ? 0 : min(length + 1, 0xFFFF)))
        try kernel.writeU32(destination &+ 4, 0)
        try kernel.writeU64(destination &+ 8, source)
        return extended ? UInt64(NTStatus.success) : 0
    }

    /// RtlAppendUnicode(String)ToString: STATUS_BUFFER_TOO_SMALL when it does not fit; NUL when there is room.
    static func appendUnicode(_ kernel: Kernel, _ destination: UInt64, _ units: [UInt16]) throws -> UInt32 {
        guard !units.isEmpty else { return NTStatus.success }
        let (length, maximum, buffer) = try GuestText.header(kernel, destination)
        let added = units.count * 2
        guard length + added <= maximum else { return NTStatus.bufferTooSmall }
        try kernel.writeBytes(buffer &+ UInt64(length), GuestText.bytes(units) + (length + added + 2 <= maximum ? [0, 0] : []))
        try GuestText.setLength(kernel, destination, length + added)
        return NTStatus.success
    }

    /// RtlUpcase/DowncaseUnicodeString(DestinationString, SourceString, AllocateDestinationString).
    static func convertCase(_ call: KernelCall, _ map: (UInt16) -> UInt16) throws -> UInt32 {
        let kernel = call.kernel, destination = try call.arg(0), allocate = try call.arg(2) & 0xFF != 0
        let units = (try GuestText.unicodeUnits(kernel, call.arg(1)) ?? []).map(map)
        if allocate { return try allocateUnicode(kernel, destination, units, terminate: false) }
        let (_, maximum, buffer) = try GuestText.header(kernel, destination)
        guard units.count * 2 <= maximum else { return NTStatus.bufferOverflow }
        if !units.isEmpty { try kernel.writeBytes(buffer, GuestText.bytes(units)) }
        try GuestText.setLength(kernel, destination, units.count * 2)
        return NTStatus.success
    }

    /// RtlUnicodeStringToInteger / RtlCharToInteger: blanks, sign, 0x/0o/0b prefix when Base is 0,
    /// digits up to the first non-digit; the result wraps to 32 bits.
    static func parseInteger(_ call: KernelCall, _ text: [UInt32], base requested: UInt32, out: UInt64) throws -> UInt32 {
        guard [0, 2, 8, 10, 16].contains(requested) else { return NTStatus.invalidParameter }
        var index = 0
        while index < text.count, text[index] <= 0x20 { index += 1 }
        var negative = false
        if index < text.count, text[index] == 0x2D || text[index] == 0x2B {
            negative = text[index] == 0x2D
            index += 1
        }
        var base = requested
        if requested == 0 {
            base = 10
            if index + 1 < text.count, text[index] == 0x30 {
                switch text[index + 1] | 0x20 {
                case 0x78: base = 16; index += 2
                case 0x6F: base = 8; index += 2
                case 0x62: base = 2; index += 2
                default: break
                }
            }
        }
        var value: UInt32 = 0
        while index < text.count {
            let c = text[index]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x41...0x46: digit = c - 0x41 + 10
            case 0x61...0x66: digit = c - 0x61 + 10
            default: digit = 99
            }
            guard digit < base else { break }
            value = value &* base &+ digit
            index += 1
        }
        guard out != 0 else { return NTStatus.accessViolation }
        try call.kernel.writeU32(out, negative ? 0 &- value : value)
        return NTStatus.success
    }

    /// The ASCII digits of `value` in `base` (0 means 10), upper-case; nil for a bad base.
    static func digits(_ value: UInt64, base: UInt32) -> [UInt8]? {
        let base = base == 0 ? 10 : base
        guard [2, 8, 10, 16].contains(base) else { return nil }
        return Array(String(value, radix: Int(base), uppercase: true).utf8)
    }

    /// RtlIntegerToUnicodeString / RtlInt64ToUnicodeString(Value, Base, String).
    static func integerToUnicode(_ call: KernelCall, value: UInt64, base: UInt32, destination: UInt64) throws -> UInt32 {
        guard let digits = digits(value, base: base) else { return NTStatus.invalidParameter }
        let kernel = call.kernel
        let (_, maximum, buffer) = try GuestText.header(kernel, destination)
        let length = digits.count * 2
        guard length <= maximum else { return NTStatus.bufferOverflow }
        try kernel.writeBytes(buffer, GuestText.bytes(digits.map { UInt16($0) }) + (length + 2 <= maximum ? [0, 0] : []))
        try GuestText.setLength(kernel, destination, length)
        return NTStatus.success
    }

    /// RtlDuplicateUnicodeString(Flags, StringIn, StringOut): RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE (1),
    /// RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING (2).
    static func duplicate(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel, flags = try call.arg32(0), source = try call.arg(1), destination = try call.arg(2)
        guard flags <= 3, flags != 2, source != 0, destination != 0 else { return NTStatus.invalidParameter }
        let (length, maximum, buffer) = try GuestText.header(kernel, source)
        guard length <= maximum, !(length == 0 && maximum > 0 && buffer == 0) else { return NTStatus.invalidParameter }
        let units = try GuestText.unicodeUnits(kernel, source) ?? []
        if units.isEmpty && flags != 3 {
            try kernel.writeUnicodeStringHeader(destination, buffer: 0, length: 0, maximumLength: 0)
            return NTStatus.success
        }
        return try allocateUnicode(kernel, destination, units, terminate: flags & 1 != 0)
    }

    /// RtlUnicodeToUTF8N(UTF8StringDestination, UTF8StringMaxByteCount, UTF8StringActualByteCount,
    /// UnicodeStringSource, UnicodeStringByteCount): lone surrogates become U+FFFD (STATUS_SOME_NOT_MAPPED);
    /// a NULL destination asks for the size.
    static func unicodeToUTF8(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel
        let destination = try call.arg(0), maxBytes = Int(try call.arg32(1)), actual = try call.arg(2)
        let source = try call.arg(3), sourceBytes = Int(try call.arg32(4))
        guard actual != 0, source != 0 || sourceBytes == 0 else { return NTStatus.invalidParameter }
        guard sourceBytes % 2 == 0, sourceBytes <= 64 << 20 else { return NTStatus.invalidParameter }
        let units = sourceBytes == 0 ? [] : GuestText.units(try kernel.readBytes(source, count: sourceBytes))
        var replaced = false
        var scalars: [Unicode.Scalar] = []
        var iterator = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): scalars.append(s)
            case .emptyInput: break loop
            case .error: scalars.append("\u{FFFD}"); replaced = true
            }
        }
        var output: [UInt8] = []
        var status = replaced ? AreaStatus.someNotMapped : NTStatus.success
        for scalar in scalars {
            let encoded = Array(String(scalar).utf8)
            if destination != 0, output.count + encoded.count > maxBytes { status = NTStatus.bufferTooSmall; break }
            output += encoded
        }
        if destination != 0, !output.isEmpty { try kernel.writeBytes(destination, output) }
        try kernel.writeU32(actual, UInt32(output.count))
        return status
    }

    /// RtlUTF8ToUnicodeN(UnicodeStringDestination, UnicodeStringMaxByteCount, UnicodeStringActualByteCount,
    /// UTF8StringSource, UTF8StringByteCount).
    static func utf8ToUnicode(_ call: KernelCall) throws -> UInt32 {
        let kernel = call.kernel
        let destination = try call.arg(0), maxBytes = Int(try call.arg32(1)), actual = try call.arg(2)
        let source = try call.arg(3), sourceBytes = Int(try call.arg32(4))
        guard actual != 0, source != 0 || sourceBytes == 0, sourceBytes <= 64 << 20 else { return NTStatus.invalidParameter }
        let bytes = sourceBytes == 0 ? [] : try kernel.readBytes(source, count: sourceBytes)
        var replaced = false
        var units: [UInt16] = []
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var status = NTStatus.success
        loop: while true {
            let scalar: Unicode.Scalar
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): scalar = s
            case .emptyInput: break loop
            case .error: scalar = "\u{FFFD}"; replaced = true
            }
            let encoded = Array(String(scalar).utf16)
            if destination != 0, (units.count + encoded.count) * 2 > maxBytes { status = NTStatus.bufferTooSmall; break }
            units += encoded
        }
        if status == NTStatus.success, replaced { status = AreaStatus.someNotMapped }
        if destination != 0, !units.isEmpty { try kernel.writeBytes(destination, GuestText.bytes(units)) }
        try kernel.writeU32(actual, UInt32(units.count * 2))
        return status
    }

    /// "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" from a GUID's 16 bytes (Data1–3 little-endian).
    static func guidString(_ b: [UInt8]) -> String {
        func hex(_ bytes: [UInt8]) -> String {
            bytes.map { String($0, radix: 16, uppercase: true).count == 1 ? "0" + String($0, radix: 16, uppercase: true) : String($0, radix: 16, uppercase: true) }.joined()
        }
        return "{" + hex([b[3], b[2], b[1], b[0]]) + "-" + hex([b[5], b[4]]) + "-" + hex([b[7], b[6]]) + "-"
            + hex(Array(b[8..<10])) + "-" + hex(Array(b[10..<16])) + "}"
    }

    /// The 16 bytes of a GUID written exactly as RtlStringFromGUID writes it (either case), braces required.
    static func parseGUID(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count == 38, chars[0] == UInt8(ascii: "{"), chars[37] == UInt8(ascii: "}"),
              [9, 14, 19, 24].allSatisfy({ chars[$0] == UInt8(ascii: "-") }) else { return nil }
        func field(_ start: Int, _ count: Int) -> [UInt8]? {
            var bytes: [UInt8] = []
            for i in stride(from: start, to: start + count, by: 2) {
                guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(byte)
            }
            return bytes
        }
        guard let d1 = field(1, 8), let d2 = field(10, 4), let d3 = field(15, 4), let d4 = field(20, 4), let d5 = field(25, 12) else {
            return nil
        }
        return d1.reversed() + d2.reversed() + d3.reversed() + d4 + d5
    }
}
