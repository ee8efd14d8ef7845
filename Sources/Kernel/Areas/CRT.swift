/// The C runtime functions ntoskrnl exports (drivers built with MSVC or
/// mingw call them for struct copies and string handling). The "C" locale:
/// case mapping and classification are ASCII for narrow characters; wide
/// conversions (wcstombs, mbstowcs) fail on characters above 0xFF.
/// qsort/bsearch (guest callbacks) and the x86-only helpers (_allmul …) are
/// not modelled.
enum CRTArea {
    static let maxLength = 64 << 20
    static let minusOne = UInt64(bitPattern: -1)

    static let handlers: [KernelExport] = makeHandlers()

    private static func makeHandlers() -> [KernelExport] {
        var t = ExportList()
        t.ntoskrnl("memcpy") { try copy($0) }
        t.ntoskrnl("memmove") { try copy($0) }
        t.ntoskrnl("memset") { call in
            let count = Int(min(try call.arg(2), UInt64(maxLength)))
            try fill(call.kernel, call.arg(0), count: count, pattern: [UInt8(truncatingIfNeeded: try call.arg(1))])
            return try call.arg(0)
        }
        t.ntoskrnl("memcmp") { call in
            let count = Int(min(try call.arg(2), UInt64(maxLength)))
            let a = try call.kernel.readBytes(call.arg(0), count: count), b = try call.kernel.readBytes(call.arg(1), count: count)
            return sign(compare(a, b, limit: count, fold: { $0 }))
        }
        t.ntoskrnl("memchr") { call in
            let base = try call.arg(0), byte = UInt8(truncatingIfNeeded: try call.arg(1))
            let count = Int(min(try call.arg(2), UInt64(maxLength)))
            var offset = 0
            while offset < count {
                let chunk = try call.kernel.readBytes(base &+ UInt64(offset), count: min(4096, count - offset))
                if let found = chunk.firstIndex(of: byte) { return base &+ UInt64(offset + found) }
                offset += chunk.count
            }
            return 0
        }

        // Narrow strings.
        t.ntoskrnl("strlen") { call in UInt64(try narrow(call, 0).count) }
        t.ntoskrnl("strnlen") { call in UInt64(try narrow(call, 0, max: Int(min(try call.arg(1), UInt64(Kernel.maxStringLength)))).count) }
        t.ntoskrnl("strcmp") { call in sign(compare(try narrow(call, 0), try narrow(call, 1), limit: .max, fold: { $0 })) }
        t.ntoskrnl("strncmp") { call in
            let n = limit(try call.arg(2))
            return sign(compare(try narrow(call, 0, max: n), try narrow(call, 1, max: n), limit: n, fold: { $0 }))
        }
        t.ntoskrnl("_stricmp") { call in sign(compare(try narrow(call, 0), try narrow(call, 1), limit: .max, fold: GuestText.downcaseAnsi)) }
        t.ntoskrnl("_strnicmp") { call in
            let n = limit(try call.arg(2))
            return sign(compare(try narrow(call, 0, max: n), try narrow(call, 1, max: n), limit: n, fold: GuestText.downcaseAnsi))
        }
        t.ntoskrnl("strcpy") { call in
            try call.kernel.writeBytes(call.arg(0), try narrow(call, 1) + [0])
            return try call.arg(0)
        }
        t.ntoskrnl("strncpy") { call in
            // Copies at most n bytes; pads with NULs to n; no NUL when the source is n bytes or longer.
            let n = limit(try call.arg(2))
            let source = try narrow(call, 1, max: n)
            try call.kernel.writeBytes(call.arg(0), source + [UInt8](repeating: 0, count: n - source.count))
            return try call.arg(0)
        }
        t.ntoskrnl("strcat") { call in
            let destination = try call.arg(0)
            let existing = try narrow(call, 0)
            try call.kernel.writeBytes(destination &+ UInt64(existing.count), try narrow(call, 1) + [0])
            return destination
        }
        t.ntoskrnl("strncat") { call in
            let destination = try call.arg(0)
            let existing = try narrow(call, 0)
            try call.kernel.writeBytes(destination &+ UInt64(existing.count), try narrow(call, 1, max: limit(try call.arg(2))) + [0])
            return destination
        }
        t.ntoskrnl("strchr") { call in
            let s = try call.arg(0), c = UInt8(truncatingIfNeeded: try call.arg(1))
            let bytes = try narrow(call, 0)
            if c == 0 { return s &+ UInt64(bytes.count) }
            return bytes.firstIndex(of: c).map { s &+ UInt64($0) } ?? 0
        }
        t.ntoskrnl("strrchr") { call in
            let s = try call.arg(0), c = UInt8(truncatingIfNeeded: try call.arg(1))
            let bytes = try narrow(call, 0)
            if c == 0 { return s &+ UInt64(bytes.count) }
            return bytes.lastIndex(of: c).map { s &+ UInt64($0) } ?? 0
        }
        t.ntoskrnl("strstr") { call in
            let haystack = try narrow(call, 0), needle = try narrow(call, 1)
            let base = try call.arg(0)
            return find(needle, in: haystack).map { base &+ UInt64($0) } ?? 0
        }
        t.ntoskrnl("strspn") { call in
            let s = try narrow(call, 0), set = Set(try narrow(call, 1))
            return UInt64(s.prefix { set.contains($0) }.count)
        }
        t.ntoskrnl("strcspn") { call in
            let s = try narrow(call, 0), set = Set(try narrow(call, 1))
            return UInt64(s.prefix { !set.contains($0) }.count)
        }
        t.ntoskrnl("strpbrk") { call in
            let s = try narrow(call, 0), set = Set(try narrow(call, 1))
            let base = try call.arg(0)
            return s.firstIndex { set.contains($0) }.map { base &+ UInt64($0) } ?? 0
        }
        t.ntoskrnl("_strlwr") { call in try mapNarrow(call, GuestText.downcaseAnsi) }
        t.ntoskrnl("_strupr") { call in try mapNarrow(call, GuestText.upcaseAnsi) }

        // Wide strings.
        t.ntoskrnl("wcslen") { call in UInt64(try wide(call, 0).count) }
        t.ntoskrnl("wcsnlen") { call in UInt64(try wide(call, 0, max: Int(min(try call.arg(1), UInt64(Kernel.maxStringLength)))).count) }
        t.ntoskrnl("wcscmp") { call in sign(compare(try wide(call, 0), try wide(call, 1), limit: .max, fold: { $0 })) }
        t.ntoskrnl("wcsncmp") { call in
            let n = limit(try call.arg(2))
            return sign(compare(try wide(call, 0, max: n), try wide(call, 1, max: n), limit: n, fold: { $0 }))
        }
        t.ntoskrnl("_wcsicmp") { call in sign(compare(try wide(call, 0), try wide(call, 1), limit: .max, fold: lowerWide)) }
        t.ntoskrnl("_wcsnicmp") { call in
            let n = limit(try call.arg(2))
            return sign(compare(try wide(call, 0, max: n), try wide(call, 1, max: n), limit: n, fold: lowerWide))
        }
        t.ntoskrnl("wcscpy") { call in
            try call.kernel.writeBytes(call.arg(0), GuestText.bytes(try wide(call, 1) + [0]))
            return try call.arg(0)
        }
        t.ntoskrnl("wcsncpy") { call in
            let n = limit(try call.arg(2))
            let source = try wide(call, 1, max: n)
            try call.kernel.writeBytes(call.arg(0), GuestText.bytes(source + [UInt16](repeating: 0, count: n - source.count)))
            return try call.arg(0)
        }
        t.ntoskrnl("wcscat") { call in
            let destination = try call.arg(0)
            let existing = try wide(call, 0)
            try call.kernel.writeBytes(destination &+ UInt64(existing.count * 2), GuestText.bytes(try wide(call, 1) + [0]))
            return destination
        }
        t.ntoskrnl("wcsncat") { call in
            let destination = try call.arg(0)
            let existing = try wide(call, 0)
            try call.kernel.writeBytes(destination &+ UInt64(existing.count * 2),
                                       GuestText.bytes(try wide(call, 1, max: limit(try call.arg(2))) + [0]))
            return destination
        }
        t.ntoskrnl("wcschr") { call in
            let s = try call.arg(0), c = UInt16(truncatingIfNeeded: try call.arg(1))
            let units = try wide(call, 0)
            if c == 0 { return s &+ UInt64(units.count * 2) }
            return units.firstIndex(of: c).map { s &+ UInt64($0 * 2) } ?? 0
        }
        t.ntoskrnl("wcsrchr") { call in
            let s = try call.arg(0), c = UInt16(truncatingIfNeeded: try call.arg(1))
            let units = try wide(call, 0)
            if c == 0 { return s &+ UInt64(units.count * 2) }
            return units.lastIndex(of: c).map { s &+ UInt64($0 * 2) } ?? 0
        }
        t.ntoskrnl("wcsstr") { call in
            let haystack = try wide(call, 0), needle = try wide(call, 1)
            let base = try call.arg(0)
            return find(needle, in: haystack).map { base &+ UInt64($0 * 2) } ?? 0
        }
        t.ntoskrnl("wcsspn") { call in
            let s = try wide(call, 0), set = Set(try wide(call, 1))
            return UInt64(s.prefix { set.contains($0) }.count)
        }
        t.ntoskrnl("wcscspn") { call in
            let s = try wide(call, 0), set = Set(try wide(call, 1))
            return UInt64(s.prefix { !set.contains($0) }.count)
        }
        t.ntoskrnl("_wcslwr") { call in try mapWide(call, lowerWide) }
        t.ntoskrnl("_wcsupr") { call in try mapWide(call, upperWide) }

        // Conversions between narrow and wide ("C" locale: bytes are code points 0–255).
        t.ntoskrnl("wcstombs") { call in
            // wcstombs(mbstr, wcstr, count): a NULL mbstr asks for the length; -1 on an unconvertible character.
            let destination = try call.arg(0), count = limit(try call.arg(2))
            let units = try wide(call, 1)
            guard units.allSatisfy({ $0 <= 0xFF }) else { return minusOne }
            guard destination != 0 else { return UInt64(units.count) }
            let n = min(units.count, count)
            try call.kernel.writeBytes(destination, units[..<n].map { UInt8($0) } + (n < count ? [0] : []))
            return UInt64(n)
        }
        t.ntoskrnl("mbstowcs") { call in
            let destination = try call.arg(0), count = limit(try call.arg(2))
            let bytes = try narrow(call, 1)
            guard destination != 0 else { return UInt64(bytes.count) }
            let n = min(bytes.count, count)
            try call.kernel.writeBytes(destination, GuestText.bytes(bytes[..<n].map { UInt16($0) } + (n < count ? [0] : [])))
            return UInt64(n)
        }

        // Characters.
        t.ntoskrnl("toupper") { call in UInt64(bitPattern: Int64(ctypeMap(Int32(truncatingIfNeeded: try call.arg(0)), upper: true))) }
        t.ntoskrnl("tolower") { call in UInt64(bitPattern: Int64(ctypeMap(Int32(truncatingIfNeeded: try call.arg(0)), upper: false))) }
        t.ntoskrnl("towupper") { call in UInt64(upperWide(UInt16(truncatingIfNeeded: try call.arg(0)))) }
        t.ntoskrnl("towlower") { call in UInt64(lowerWide(UInt16(truncatingIfNeeded: try call.arg(0)))) }
        // int is*(int c) / int isw*(wint_t c): the ctype mask each tests.
        t.ntoskrnl("isupper") { try narrowClass($0, mask: 0x1) }
        t.ntoskrnl("iswupper") { try wideClass($0, mask: 0x1) }
        t.ntoskrnl("islower") { try narrowClass($0, mask: 0x2) }
        t.ntoskrnl("iswlower") { try wideClass($0, mask: 0x2) }
        t.ntoskrnl("isdigit") { try narrowClass($0, mask: 0x4) }
        t.ntoskrnl("iswdigit") { try wideClass($0, mask: 0x4) }
        t.ntoskrnl("isspace") { try narrowClass($0, mask: 0x8) }
        t.ntoskrnl("iswspace") { try wideClass($0, mask: 0x8) }
        t.ntoskrnl("ispunct") { try narrowClass($0, mask: 0x10) }
        t.ntoskrnl("iswpunct") { try wideClass($0, mask: 0x10) }
        t.ntoskrnl("iscntrl") { try narrowClass($0, mask: 0x20) }
        t.ntoskrnl("iswcntrl") { try wideClass($0, mask: 0x20) }
        t.ntoskrnl("isxdigit") { try narrowClass($0, mask: 0x80) }
        t.ntoskrnl("iswxdigit") { try wideClass($0, mask: 0x80) }
        t.ntoskrnl("isalpha") { try narrowClass($0, mask: 0x103) }
        t.ntoskrnl("iswalpha") { try wideClass($0, mask: 0x103) }
        t.ntoskrnl("isalnum") { try narrowClass($0, mask: 0x107) }
        t.ntoskrnl("iswalnum") { try wideClass($0, mask: 0x107) }
        t.ntoskrnl("isprint") { try narrowClass($0, mask: 0x1D7 | 0x40) }
        t.ntoskrnl("iswprint") { try wideClass($0, mask: 0x1D7 | 0x40) }
        t.ntoskrnl("isgraph") { try narrowClass($0, mask: 0x197) }
        t.ntoskrnl("iswgraph") { try wideClass($0, mask: 0x197) }

        // Numbers.
        t.ntoskrnl("atoi") { call in UInt64(bitPattern: Int64(clamp32(parse(try narrow(call, 0, max: 4096).map { UInt16($0) }, base: 10).signed))) }
        t.ntoskrnl("atol") { call in UInt64(bitPattern: Int64(clamp32(parse(try narrow(call, 0, max: 4096).map { UInt16($0) }, base: 10).signed))) }
        t.ntoskrnl("_atoi64") { call in UInt64(bitPattern: parse(try narrow(call, 0, max: 4096).map { UInt16($0) }, base: 10).signed) }
        t.ntoskrnl("_wtoi") { call in UInt64(bitPattern: Int64(clamp32(parse(try wide(call, 0, max: 4096), base: 10).signed))) }
        t.ntoskrnl("_wtol") { call in UInt64(bitPattern: Int64(clamp32(parse(try wide(call, 0, max: 4096), base: 10).signed))) }
        t.ntoskrnl("_wtoi64") { call in UInt64(bitPattern: parse(try wide(call, 0, max: 4096), base: 10).signed) }
        t.ntoskrnl("strtoul") { call in try strto(call, wide: false, bits: 32, signed: false) }
        t.ntoskrnl("strtol") { call in try strto(call, wide: false, bits: 32, signed: true) }
        t.ntoskrnl("_strtoui64") { call in try strto(call, wide: false, bits: 64, signed: false) }
        t.ntoskrnl("_strtoi64") { call in try strto(call, wide: false, bits: 64, signed: true) }
        t.ntoskrnl("wcstoul") { call in try strto(call, wide: true, bits: 32, signed: false) }
        t.ntoskrnl("wcstol") { call in try strto(call, wide: true, bits: 32, signed: true) }
        t.ntoskrnl("_wcstoui64") { call in try strto(call, wide: true, bits: 64, signed: false) }
        t.ntoskrnl("_wcstoi64") { call in try strto(call, wide: true, bits: 64, signed: true) }
        // char *_itoa(int Value, char *Buffer, int Radix) and its wide and 64-bit siblings.
        t.ntoskrnl("_itoa") { try itoa($0, value: UInt64(try $0.arg32(0)), bits: 32, signedDecimal: true, wide: false) }
        t.ntoskrnl("_ltoa") { try itoa($0, value: UInt64(try $0.arg32(0)), bits: 32, signedDecimal: true, wide: false) }
        t.ntoskrnl("_ultoa") { try itoa($0, value: UInt64(try $0.arg32(0)), bits: 32, signedDecimal: false, wide: false) }
        t.ntoskrnl("_i64toa") { try itoa($0, value: try $0.arg(0), bits: 64, signedDecimal: true, wide: false) }
        t.ntoskrnl("_ui64toa") { try itoa($0, value: try $0.arg(0), bits: 64, signedDecimal: false, wide: false) }
        t.ntoskrnl("_itow") { try itoa($0, value: UInt64(try $0.arg32(0)), bits: 32, signedDecimal: true, wide: true) }
        t.ntoskrnl("_ltow") { try itoa($0, value: UInt64(try $0.arg32(0)), bits: 32, signedDecimal: true, wide: true) }
        t.ntoskrnl("_ultow") { try itoa($0, value: UInt64(try $0.arg32(0)), bits: 32, signedDecimal: false, wide: true) }
        t.ntoskrnl("_i64tow") { try itoa($0, value: try $0.arg(0), bits: 64, signedDecimal: true, wide: true) }
        t.ntoskrnl("_ui64tow") { try itoa($0, value: try $0.arg(0), bits: 64, signedDecimal: false, wide: true) }
        return t.exports
    }

    // MARK: Helpers

    static func copy(_ call: KernelCall) throws -> UInt64 {
        let count = Int(min(try call.arg(2), UInt64(maxLength)))
        try call.kernel.writeBytes(call.arg(0), try call.kernel.readBytes(call.arg(1), count: count))
        return try call.arg(0)
    }

    /// Repeats `pattern` over `count` bytes in 64 KiB writes, so a bad range fails at its first unmapped chunk.
    static func fill(_ kernel: Kernel, _ address: UInt64, count: Int, pattern: [UInt8]) throws {
        guard count > 0, !pattern.isEmpty else { return }
        let chunkSize = 0x10000 - 0x10000 % pattern.count
        var chunk: [UInt8] = []
        chunk.reserveCapacity(chunkSize)
        while chunk.count < min(chunkSize, count) { chunk += pattern }
        var offset = 0
        while offset < count {
            let n = min(chunk.count, count - offset)
            try kernel.writeBytes(address &+ UInt64(offset), n == chunk.count ? chunk : Array(chunk[..<n]))
            offset += n
        }
    }

    static func limit(_ n: UInt64) -> Int { Int(min(n, UInt64(Kernel.maxStringLength))) }

    static func narrow(_ call: KernelCall, _ index: Int, max: Int = Kernel.maxStringLength) throws -> [UInt8] {
        try GuestText.bytesZ(call.kernel, call.arg(index), max: max)
    }

    static func wide(_ call: KernelCall, _ index: Int, max: Int = Kernel.maxStringLength) throws -> [UInt16] {
        try GuestText.wideZ(call.kernel, call.arg(index), max: max)
    }

    /// Compares up to `limit` characters as unsigned values (a shorter string compares as if NUL-padded).
    static func compare<T: FixedWidthInteger>(_ a: [T], _ b: [T], limit: Int, fold: (T) -> T) -> Int {
        var index = 0
        while index < limit {
            let x = index < a.count ? fold(a[index]) : 0, y = index < b.count ? fold(b[index]) : 0
            if x != y { return x < y ? -1 : 1 }
            if x == 0 { return 0 }
            index += 1
        }
        return 0
    }

    static func sign(_ value: Int) -> UInt64 { value == 0 ? 0 : value < 0 ? minusOne : 1 }

    /// Kept for callers of the old name.
    static func compare<S: StringProtocol>(_ a: S, _ b: S) -> UInt64 { a == b ? 0 : a < b ? minusOne : 1 }

    static func find<T: Equatable>(_ needle: [T], in haystack: [T]) -> Int? {
        guard !needle.isEmpty else { return 0 }
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }

    static func mapNarrow(_ call: KernelCall, _ map: (UInt8) -> UInt8) throws -> UInt64 {
        let s = try call.arg(0)
        let bytes = try narrow(call, 0)
        if !bytes.isEmpty { try call.kernel.writeBytes(s, bytes.map(map)) }
        return s
    }

    static func mapWide(_ call: KernelCall, _ map: (UInt16) -> UInt16) throws -> UInt64 {
        let s = try call.arg(0)
        let units = try wide(call, 0)
        if !units.isEmpty { try call.kernel.writeBytes(s, GuestText.bytes(units.map(map))) }
        return s
    }

    /// towupper/towlower and the _wcs*i* functions: ASCII and Latin-1 in the "C" locale.
    static func upperWide(_ c: UInt16) -> UInt16 { c < 0x80 ? UInt16(GuestText.upcaseAnsi(UInt8(c))) : GuestText.upcase(c) }
    static func lowerWide(_ c: UInt16) -> UInt16 { c < 0x80 ? UInt16(GuestText.downcaseAnsi(UInt8(c))) : GuestText.downcase(c) }

    static func ctypeMap(_ c: Int32, upper: Bool) -> Int32 {
        guard c >= 0, c < 128 else { return c }
        return Int32(upper ? GuestText.upcaseAnsi(UInt8(c)) : GuestText.downcaseAnsi(UInt8(c)))
    }

    /// MSVC's ctype bits: _UPPER 1, _LOWER 2, _DIGIT 4, _SPACE 8, _PUNCT 0x10, _CONTROL 0x20, _BLANK 0x40, _HEX 0x80, _ALPHA 0x100.
    static func ctype(_ c: UInt8) -> UInt32 {
        var bits: UInt32 = 0
        switch c {
        case 0x41...0x5A: bits |= 0x1 | 0x100
        case 0x61...0x7A: bits |= 0x2 | 0x100
        case 0x30...0x39: bits |= 0x4
        default: break
        }
        if (0x09...0x0D).contains(c) || c == 0x20 { bits |= 0x8 }
        if c == 0x20 { bits |= 0x40 }
        if c < 0x20 || c == 0x7F { bits |= 0x20 }
        if (0x21...0x2F).contains(c) || (0x3A...0x40).contains(c) || (0x5B...0x60).contains(c) || (0x7B...0x7E).contains(c) { bits |= 0x10 }
        if (0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c) { bits |= 0x80 }
        return bits
    }

    static func wideCtype(_ c: UInt16) -> UInt32 {
        if c < 0x80 { return ctype(UInt8(c)) }
        guard let scalar = Unicode.Scalar(c) else { return 0 }
        var bits: UInt32 = 0
        let p = scalar.properties
        if p.isUppercase { bits |= 0x1 | 0x100 } else if p.isLowercase { bits |= 0x2 | 0x100 } else if p.isAlphabetic { bits |= 0x100 }
        if p.isWhitespace { bits |= 0x8 }
        return bits
    }

    /// is*(c): the "C" locale answers for ASCII only.
    static func narrowClass(_ call: KernelCall, mask: UInt32) throws -> UInt64 {
        let c = Int32(truncatingIfNeeded: try call.arg(0))
        guard c >= 0, c < 128 else { return 0 }
        return UInt64(ctype(UInt8(c)) & mask)
    }

    static func wideClass(_ call: KernelCall, mask: UInt32) throws -> UInt64 {
        UInt64(wideCtype(UInt16(truncatingIfNeeded: try call.arg(0))) & mask)
    }

    static func clamp32(_ v: Int64) -> Int32 { Int32(clamping: v) }

    struct Parsed {
        var magnitude: UInt64
        var negative: Bool
        var overflow: Bool
        var consumed: Int
        var signed: Int64 {
            if overflow { return negative ? .min : .max }
            if negative { return magnitude > UInt64(Int64.max) ? .min : -Int64(magnitude) }
            return magnitude > UInt64(Int64.max) ? .max : Int64(magnitude)
        }
    }

    /// strtoul-style parsing: blanks, sign, a 0x / 0 prefix for base 16 / 0, digits of `base` (2–36).
    static func parse(_ text: [UInt16], base requested: Int) -> Parsed {
        var index = 0
        while index < text.count, [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains(text[index]) { index += 1 }
        var negative = false
        if index < text.count, text[index] == 0x2D || text[index] == 0x2B { negative = text[index] == 0x2D; index += 1 }
        var base = requested
        let hasHexPrefix = index + 1 < text.count && text[index] == 0x30 && (text[index + 1] | 0x20) == 0x78
            && index + 2 < text.count && digit(text[index + 2]).map { $0 < 16 } == true
        if base == 0 {
            base = hasHexPrefix ? 16 : (index < text.count && text[index] == 0x30 ? 8 : 10)
        }
        if base == 16, hasHexPrefix { index += 2 }
        var magnitude: UInt64 = 0, overflow = false, digits = 0
        while index < text.count, let d = digit(text[index]), d < base {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: UInt64(base))
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { overflow = true }
            magnitude = s
            index += 1
            digits += 1
        }
        return Parsed(magnitude: magnitude, negative: negative, overflow: overflow, consumed: digits == 0 ? 0 : index)
    }

    static func digit(_ c: UInt16) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x5A: return Int(c - 0x41 + 10)
        case 0x61...0x7A: return Int(c - 0x61 + 10)
        default: return nil
        }
    }

    /// strtol/strtoul/_strtoi64/_strtoui64 and the wcs twins (String, EndPtr, Base).
    static func strto(_ call: KernelCall, wide: Bool, bits: Int, signed: Bool) throws -> UInt64 {
        let text = wide ? try self.wide(call, 0, max: 4096) : try narrow(call, 0, max: 4096).map { UInt16($0) }
        let base = Int(Int32(bitPattern: try call.arg32(2)))
        guard base == 0 || (2...36).contains(base) else {
            if try call.arg(1) != 0 { try call.kernel.writeU64(call.arg(1), try call.arg(0)) }
            return 0
        }
        let parsed = parse(text, base: base)
        if try call.arg(1) != 0 {
            try call.kernel.writeU64(call.arg(1), try call.arg(0) &+ UInt64(parsed.consumed * (wide ? 2 : 1)))
        }
        let maxUnsigned: UInt64 = bits == 64 ? .max : 0xFFFF_FFFF
        if signed {
            let maxPositive: UInt64 = bits == 64 ? UInt64(Int64.max) : UInt64(Int32.max)
            if parsed.overflow || parsed.magnitude > maxPositive + (parsed.negative ? 1 : 0) {
                return parsed.negative ? (bits == 64 ? UInt64(bitPattern: Int64.min) : UInt64(bitPattern: Int64(Int32.min)))
                                       : maxPositive
            }
            let value = parsed.negative ? 0 &- parsed.magnitude : parsed.magnitude
            return bits == 64 ? value : UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: value)))
        }
        if parsed.overflow || parsed.magnitude > maxUnsigned { return maxUnsigned }
        let value = parsed.negative ? (0 &- parsed.magnitude) & maxUnsigned : parsed.magnitude
        return value
    }

    /// _itoa/_ltoa/_ultoa/_i64toa/_ui64toa (Value, Buffer, Radix) and the _*tow twins: a minus sign only
    /// for negative values in radix 10 of the signed forms.
    static func itoa(_ call: KernelCall, value: UInt64, bits: Int, signedDecimal: Bool, wide: Bool) throws -> UInt64 {
        let buffer = try call.arg(1), radix = Int(try call.arg32(2))
        guard (2...36).contains(radix) else {
            try call.kernel.writeBytes(buffer, wide ? [0, 0] : [0])
            return buffer
        }
        var text: String
        if signedDecimal, radix == 10 {
            text = bits == 64 ? String(Int64(bitPattern: value)) : String(Int32(truncatingIfNeeded: value))
        } else {
            text = String(bits == 64 ? value : value & 0xFFFF_FFFF, radix: radix)
        }
        let units = Array(text.utf16)
        try call.kernel.writeBytes(buffer, wide ? GuestText.bytes(units + [0]) : units.map { UInt8($0) } + [0])
        return buffer
    }
}
