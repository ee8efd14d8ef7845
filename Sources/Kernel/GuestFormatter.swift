/// printf-style formatting of guest format strings (DbgPrint, the sprintf
/// family), with the Windows kernel extensions %wZ (UNICODE_STRING*), %Z
/// (ANSI_STRING*), %ws/%ls/%S (wide string), %hs (narrow string) and the
/// I64/I32/I/ll/l/h/hh/z/j/t sizes. Works on code units: a narrow format's
/// bytes or a wide format's UTF-16 units. In a wide format (`wideFormat`,
/// the swprintf family) %s and %c take wide arguments and %S / %C narrow
/// ones, as the Microsoft CRT does. Every argument comes from `next`, every
/// string read is capped and the output stops at `maxOutput` units.
struct GuestFormatter {
    let kernel: Kernel
    /// The format and its output are UTF-16 (swprintf family).
    var wideFormat = false
    var maxOutput = 4096
    static let maxOutput = 4096
    static let maxField = 4096

    /// Narrow formatting to a String (DbgPrint): bytes are decoded as UTF-8 at the end.
    func format(_ format: String, next: () throws -> UInt64) throws -> String {
        let units = try run(Array(format.utf8).map { UInt16($0) }, wideOutput: false, next: next)
        return String(decoding: units.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
    }

    /// Formats `format` (bytes widened, or UTF-16 units when `wideFormat`); the result is bytes
    /// (each unit ≤ 0xFF) for a narrow format and UTF-16 units for a wide one.
    func run(_ format: [UInt16], wideOutput: Bool, next: () throws -> UInt64) throws -> [UInt16] {
        var out: [UInt16] = []
        var index = 0
        func peek() -> UInt16? { index < format.count ? format[index] : nil }
        func isAscii(_ u: UInt16?, _ c: Character) -> Bool { u == UInt16(c.asciiValue!) }
        while index < format.count, out.count < maxOutput {
            let c = format[index]
            index += 1
            guard isAscii(c, "%") else { out.append(c); continue }
            var spec = Spec()
            while let f = peek(), let ch = ascii(f), "-+ #0".contains(ch) {
                switch ch {
                case "-": spec.leftAlign = true
                case "+": spec.plus = true
                case " ": spec.space = true
                case "#": spec.alternate = true
                default: spec.zeroPad = true
                }
                index += 1
            }
            if isAscii(peek(), "*") {
                index += 1
                let w = Int(Int32(truncatingIfNeeded: try next()))
                if w < 0 { spec.leftAlign = true }
                spec.width = min(w.magnitude, UInt(Self.maxField)).toInt
            } else {
                spec.width = min(number(format, &index) ?? 0, Self.maxField)
            }
            if isAscii(peek(), ".") {
                index += 1
                if isAscii(peek(), "*") {
                    index += 1
                    let p = Int(Int32(truncatingIfNeeded: try next()))
                    spec.precision = p < 0 ? nil : min(p, Kernel.maxStringLength)
                } else {
                    spec.precision = min(number(format, &index) ?? 0, Kernel.maxStringLength)
                }
            }
            // Size prefixes.
            sizes: while let s = peek().flatMap(ascii) {
                switch s {
                case "l":
                    spec.size = spec.size == .long ? .longLong : .long
                    spec.wideString = true
                case "h":
                    spec.size = spec.size == .short ? .char : .short
                    spec.narrowString = true
                case "w": spec.wideString = true
                case "z", "j", "t": spec.size = .longLong
                case "L": spec.size = .longLong
                case "I":
                    if format.count > index + 2, ascii(format[index + 1]) == "6", ascii(format[index + 2]) == "4" {
                        index += 2; spec.size = .longLong
                    } else if format.count > index + 2, ascii(format[index + 1]) == "3", ascii(format[index + 2]) == "2" {
                        index += 2; spec.size = .int
                    } else {
                        spec.size = .longLong
                    }
                default: break sizes
                }
                index += 1
            }
            guard let conversion = peek() else { break }
            index += 1
            let body = try render(conversion, spec, wideOutput: wideOutput, next)
            out += body
        }
        if out.count > maxOutput { out.removeSubrange(maxOutput...) }
        return out
    }

    struct Spec {
        enum Size { case char, short, int, long, longLong }
        var leftAlign = false, zeroPad = false, plus = false, space = false, alternate = false
        var wideString = false, narrowString = false
        var width = 0
        var precision: Int?
        var size = Size.int
    }

    private func ascii(_ unit: UInt16) -> Character? {
        unit < 0x80 ? Character(Unicode.Scalar(UInt8(unit))) : nil
    }

    private func number(_ format: [UInt16], _ index: inout Int) -> Int? {
        var value: Int?
        while index < format.count, format[index] >= 0x30, format[index] <= 0x39 {
            value = min((value ?? 0) * 10 + Int(format[index] - 0x30), 1 << 16)
            index += 1
        }
        return value
    }

    private func render(_ conversion: UInt16, _ spec: Spec, wideOutput: Bool, _ next: () throws -> UInt64) throws -> [UInt16] {
        func truncated(_ v: UInt64) -> UInt64 {
            switch spec.size {
            case .char: return v & 0xFF
            case .short: return v & 0xFFFF
            case .int, .long: return v & 0xFFFF_FFFF
            case .longLong: return v
            }
        }
        func signed(_ v: UInt64) -> Int64 {
            switch spec.size {
            case .char: return Int64(Int8(truncatingIfNeeded: v))
            case .short: return Int64(Int16(truncatingIfNeeded: v))
            case .int, .long: return Int64(Int32(truncatingIfNeeded: v))
            case .longLong: return Int64(bitPattern: v)
            }
        }
        /// Narrow bytes as output units (the ANSI code page when the output is wide).
        func narrow(_ bytes: [UInt8]) -> [UInt16] { wideOutput ? GuestText.ansiToUnicode(bytes) : bytes.map { UInt16($0) } }
        /// Wide units as output units (the ANSI code page, '?' for the rest, when the output is narrow).
        func wide(_ units: [UInt16]) -> [UInt16] { wideOutput ? units : GuestText.unicodeToAnsi(units).map { UInt16($0) } }
        func text(_ s: String) -> [UInt16] { s.utf8.map { UInt16($0) } }
        /// Whether a %s/%c argument is wide: w/l force wide, h forces narrow, else the format's own width
        /// (flipped for %S/%C).
        func wideArgument(upper: Bool) -> Bool {
            if spec.narrowString { return false }
            if spec.wideString { return true }
            return upper ? !wideFormat : wideFormat
        }
        let limit = spec.precision ?? Kernel.maxStringLength
        var body: [UInt16]
        var numeric = false
        let character = ascii(conversion) ?? "\u{0}"
        switch character {
        case "d", "i":
            let v = signed(try next())
            body = integer(String(v.magnitude), negative: v < 0, spec)
            numeric = true
        case "u":
            body = integer(String(truncated(try next())), negative: false, spec, unsigned: true)
            numeric = true
        case "x", "X", "o":
            let v = truncated(try next())
            var digits = String(v, radix: character == "o" ? 8 : 16, uppercase: character == "X")
            if let p = spec.precision { digits = p == 0 && v == 0 ? "" : String(repeating: "0", count: max(0, p - digits.count)) + digits }
            var prefix = ""
            if spec.alternate, v != 0 { prefix = character == "o" ? (digits.hasPrefix("0") ? "" : "0") : (character == "X" ? "0X" : "0x") }
            body = pad(text(digits), prefix: text(prefix), spec, numeric: spec.precision == nil)
            return body
        case "p":
            let hex = String(try next(), radix: 16, uppercase: true)
            body = text(String(repeating: "0", count: max(0, 16 - hex.count)) + hex)
        case "c", "C":
            let v = try next()
            body = wideArgument(upper: character == "C") ? wide([UInt16(truncatingIfNeeded: v)]) : narrow([UInt8(truncatingIfNeeded: v)])
        case "s", "S":
            let pointer = try next()
            if pointer == 0 {
                body = text("(null)")
            } else if wideArgument(upper: character == "S") {
                body = wide((try? GuestText.wideZ(kernel, pointer, max: limit)) ?? Array("(bad)".utf16))
            } else {
                body = narrow((try? GuestText.bytesZ(kernel, pointer, max: limit)) ?? Array("(bad)".utf8))
            }
        case "Z":
            let pointer = try next()
            if pointer == 0 {
                body = text("(null)")
            } else if spec.wideString {
                body = wide(((try? GuestText.unicodeUnits(kernel, pointer)) ?? nil) ?? Array("(bad)".utf16))
            } else {
                body = narrow(((try? GuestText.ansiBytes(kernel, pointer)) ?? nil) ?? Array("(bad)".utf8))
            }
            if let p = spec.precision, body.count > p { body.removeSubrange(p...) }
        case "e", "E", "f", "F", "g", "G", "a", "A":
            let v = Double(bitPattern: try next())
            body = text(FloatFormat.render(v, conversion: character, precision: spec.precision, alternate: spec.alternate))
            if v.sign == .minus, !v.isNaN {
                return pad(Array(body.dropFirst()), prefix: text("-"), spec, numeric: true)
            }
            return pad(body, prefix: spec.plus ? text("+") : spec.space ? text(" ") : [], spec, numeric: !v.isNaN && !v.isInfinite)
        case "n":
            _ = try next() // %n writes nothing: the CRT disables it by default
            return []
        case "%":
            return text("%")
        default:
            return text("%") + [conversion]
        }
        if !numeric { return pad(body, prefix: [], spec, numeric: false) }
        return body
    }

    private func integer(_ magnitude: String, negative: Bool, _ spec: Spec, unsigned: Bool = false) -> [UInt16] {
        var digits = magnitude
        if let p = spec.precision { digits = p == 0 && magnitude == "0" ? "" : String(repeating: "0", count: max(0, p - digits.count)) + digits }
        let sign = negative ? "-" : unsigned ? "" : spec.plus ? "+" : spec.space ? " " : ""
        return pad(digits.utf8.map { UInt16($0) }, prefix: sign.utf8.map { UInt16($0) }, spec, numeric: spec.precision == nil)
    }

    /// Width padding: '-' left-aligns; '0' pads after the sign/prefix when `numeric` (integers without a precision, floats).
    private func pad(_ body: [UInt16], prefix: [UInt16], _ spec: Spec, numeric: Bool) -> [UInt16] {
        let length = body.count + prefix.count
        guard length < spec.width else { return prefix + body }
        let count = spec.width - length
        if spec.leftAlign { return prefix + body + [UInt16](repeating: 0x20, count: count) }
        if spec.zeroPad, numeric {
            return prefix + [UInt16](repeating: 0x30, count: count) + body
        }
        return [UInt16](repeating: 0x20, count: count) + prefix + body
    }
}

private extension UInt {
    var toInt: Int { Int(truncatingIfNeeded: self) }
}

/// %e / %f / %g / %a for the sprintf family (doubles arrive as their bits in the integer slots).
enum FloatFormat {
    static func render(_ value: Double, conversion: Character, precision: Int?, alternate: Bool) -> String {
        let upper = conversion.isUppercase
        if value.isNaN { return upper ? "NAN" : "nan" }
        if value.isInfinite { return (value < 0 ? "-" : "") + (upper ? "INF" : "inf") }
        let p = min(precision ?? 6, 64)
        let negative = value.sign == .minus
        let magnitude = abs(value)
        var body: String
        switch conversion {
        case "f", "F": body = fixed(magnitude, p)
        case "e", "E": body = exponent(magnitude, p, upper: upper)
        case "a", "A":
            body = String(magnitude.significandBitPattern, radix: 16)
            body = (upper ? "0X1." : "0x1.") + body + (upper ? "P" : "p") + (magnitude.exponent >= 0 ? "+" : "") + String(magnitude.exponent)
        default: // g
            let precision = p == 0 ? 1 : p
            let exp = magnitude == 0 ? 0 : Int((log10Approx(magnitude)).rounded(.down))
            if exp < -4 || exp >= precision {
                body = exponent(magnitude, precision - 1, upper: upper)
                if !alternate { body = trimExponentForm(body) }
            } else {
                body = fixed(magnitude, max(0, precision - 1 - exp))
                if !alternate, body.contains(".") {
                    while body.hasSuffix("0") { body.removeLast() }
                    if body.hasSuffix(".") { body.removeLast() }
                }
            }
        }
        return (negative ? "-" : "") + body
    }

    static func log10Approx(_ v: Double) -> Double {
        var e = 0.0, x = v
        while x >= 10 { x /= 10; e += 1 }
        while x < 1, x > 0 { x *= 10; e -= 1 }
        return e
    }

    /// Fixed notation by decimal long arithmetic on the value's exact binary expansion (rounded half-even-ish).
    static func fixed(_ v: Double, _ precision: Int) -> String {
        var scaled = v
        for _ in 0..<precision { scaled *= 10 }
        if scaled < 9.0e18 {
            let rounded = UInt64(scaled.rounded(.toNearestOrEven))
            var digits = String(rounded)
            if precision > 0 {
                if digits.count <= precision { digits = String(repeating: "0", count: precision - digits.count + 1) + digits }
                digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -precision))
            }
            return digits
        }
        // Large values: integer part from the shortest description, zeros for the fraction.
        let whole = v.rounded(.towardZero)
        var text = whole < 1e300 ? String(format16: whole) : "\(whole)"
        if precision > 0 { text += "." + String(repeating: "0", count: precision) }
        return text
    }

    static func exponent(_ v: Double, _ precision: Int, upper: Bool) -> String {
        var exp = 0, mantissa = v
        if v != 0 {
            exp = Int(log10Approx(v))
            mantissa = v
            if exp > 0 { for _ in 0..<exp { mantissa /= 10 } } else if exp < 0 { for _ in 0..<(-exp) { mantissa *= 10 } }
        }
        var digits = fixed(mantissa, precision)
        if digits.hasPrefix("10") {
            exp += 1
            mantissa /= 10
            digits = fixed(mantissa, precision)
        }
        let sign = exp < 0 ? "-" : "+"
        let e = String(abs(exp))
        return digits + (upper ? "E" : "e") + sign + String(repeating: "0", count: max(0, 3 - e.count)) + e
    }

    static func trimExponentForm(_ text: String) -> String {
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return text }
        var mantissa = String(text[..<e])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        return mantissa + text[e...]
    }
}

private extension String {
    /// The integer digits of a whole, large double.
    init(format16 value: Double) {
        var digits: [Character] = []
        var v = value
        while v >= 1, digits.count < 400 {
            let d = v.truncatingRemainder(dividingBy: 10)
            digits.append(Character(String(Int(d))))
            v = (v / 10).rounded(.towardZero)
        }
        self = digits.isEmpty ? "0" : String(digits.reversed())
    }
}
