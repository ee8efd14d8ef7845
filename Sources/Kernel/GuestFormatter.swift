/// printf-style formatting of guest format strings (DbgPrint, the sprintf
/// family), with the Windows kernel extensions %wZ (UNICODE_STRING*), %Z
/// (ANSI_STRING*), %ws/%ls/%S (wide string) and the I64/I32/ll/l/h/z sizes.
/// Every argument comes from `next` and every string read is capped.
struct GuestFormatter {
    let kernel: Kernel
    static let maxOutput = 4096

    func format(_ format: String, next: () throws -> UInt64) throws -> String {
        var out = ""
        var chars = Array(format.utf8)[...]
        while let c = chars.popFirst() {
            guard out.utf8.count < Self.maxOutput else { break }
            guard c == UInt8(ascii: "%") else {
                out.unicodeScalars.append(Unicode.Scalar(c))
                continue
            }
            var spec = Spec()
            while let f = chars.first, "-+ #0".utf8.contains(f) {
                if f == UInt8(ascii: "-") { spec.leftAlign = true }
                if f == UInt8(ascii: "0") { spec.zeroPad = true }
                chars.removeFirst()
            }
            spec.width = number(&chars) ?? (chars.first == UInt8(ascii: "*") ? { chars.removeFirst(); return Int(truncatingIfNeeded: (try? next()) ?? 0) }() : 0)
            if chars.first == UInt8(ascii: ".") {
                chars.removeFirst()
                spec.precision = number(&chars) ?? (chars.first == UInt8(ascii: "*") ? { chars.removeFirst(); return Int(truncatingIfNeeded: (try? next()) ?? 0) }() : 0)
            }
            spec.width = min(max(spec.width, 0), 256)
            // Size prefixes.
            while let s = chars.first {
                if s == UInt8(ascii: "l") || s == UInt8(ascii: "h") || s == UInt8(ascii: "w") || s == UInt8(ascii: "z") {
                    if s == UInt8(ascii: "l") && spec.size == .long { spec.size = .longLong } else if s == UInt8(ascii: "l") { spec.size = .long }
                    if s == UInt8(ascii: "h") { spec.size = .short }
                    if s == UInt8(ascii: "w") { spec.wide = true }
                    if s == UInt8(ascii: "z") { spec.size = .longLong }
                    chars.removeFirst()
                } else if s == UInt8(ascii: "I") {
                    chars.removeFirst()
                    if chars.starts(with: "64".utf8) { chars.removeFirst(2); spec.size = .longLong }
                    else if chars.starts(with: "32".utf8) { chars.removeFirst(2); spec.size = .int }
                    else { spec.size = .longLong }
                } else { break }
            }
            guard let conversion = chars.popFirst() else { break }
            out += try render(conversion, spec, next)
        }
        return out
    }

    struct Spec {
        enum Size { case short, int, long, longLong }
        var leftAlign = false, zeroPad = false, wide = false
        var width = 0
        var precision: Int?
        var size = Size.int
    }

    private func number(_ chars: inout ArraySlice<UInt8>) -> Int? {
        var value: Int?
        while let d = chars.first, d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") {
            value = min((value ?? 0) * 10 + Int(d - UInt8(ascii: "0")), 1 << 16)
            chars.removeFirst()
        }
        return value
    }

    private func render(_ conversion: UInt8, _ spec: Spec, _ next: () throws -> UInt64) throws -> String {
        func truncated(_ v: UInt64) -> UInt64 {
            switch spec.size {
            case .short: return v & 0xFFFF
            case .int, .long: return v & 0xFFFF_FFFF
            case .longLong: return v
            }
        }
        func signed(_ v: UInt64) -> Int64 {
            switch spec.size {
            case .short: return Int64(Int16(truncatingIfNeeded: v))
            case .int, .long: return Int64(Int32(truncatingIfNeeded: v))
            case .longLong: return Int64(bitPattern: v)
            }
        }
        let body: String
        switch Character(Unicode.Scalar(conversion)) {
        case "d", "i": body = String(signed(try next()))
        case "u": body = String(truncated(try next()))
        case "x": body = String(truncated(try next()), radix: 16)
        case "X": body = String(truncated(try next()), radix: 16, uppercase: true)
        case "o": body = String(truncated(try next()), radix: 8)
        case "p":
            let hex = String(try next(), radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        case "c", "C": body = String(UnicodeScalar(UInt8(truncatingIfNeeded: try next())))
        case "s":
            let pointer = try next()
            let limit = spec.precision ?? Kernel.maxStringLength
            body = pointer == 0 ? "(null)" : spec.wide || spec.size == .long
                ? (try? kernel.readWideString(pointer, maxLength: limit)) ?? "(bad)"
                : (try? kernel.readCString(pointer, maxLength: limit)) ?? "(bad)"
        case "S":
            let pointer = try next()
            body = pointer == 0 ? "(null)" : (try? kernel.readWideString(pointer)) ?? "(bad)"
        case "Z":
            let pointer = try next()
            if spec.wide {
                body = ((try? kernel.readUnicodeString(pointer)) ?? nil) ?? "(null)"
            } else {
                let buffer = (try? kernel.readU64(pointer + 8)) ?? 0
                let length = Int((try? kernel.readU16(pointer)) ?? 0)
                body = String(decoding: (try? kernel.readBytes(buffer, count: length)) ?? [], as: UTF8.self)
            }
        case "%": return "%"
        default: return "%" + String(UnicodeScalar(conversion))
        }
        guard body.count < spec.width else { return body }
        let pad = String(repeating: spec.zeroPad && !spec.leftAlign ? "0" : " ", count: spec.width - body.count)
        if spec.leftAlign { return body + pad }
        if spec.zeroPad, body.hasPrefix("-") { return "-" + pad + body.dropFirst() }
        return pad + body
    }
}
