/// The C runtime functions ntoskrnl exports (drivers built with MSVC or
/// mingw call them for struct copies and string handling).
enum CRTArea {
    static let maxLength = 64 << 20

    static let handlers: [String: KernelHandler] = [
        "memcpy": { try copy($0) }, "memmove": { try copy($0) },
        "memset": { call in
            let count = Int(min(try call.arg(2), UInt64(maxLength)))
            try call.kernel.fill(call.arg(0), count: count, with: UInt8(truncatingIfNeeded: try call.arg(1)))
            return try call.arg(0)
        },
        "memcmp": { call in
            let count = Int(min(try call.arg(2), UInt64(maxLength)))
            let a = try call.kernel.readBytes(call.arg(0), count: count), b = try call.kernel.readBytes(call.arg(1), count: count)
            for (x, y) in zip(a, b) where x != y { return x < y ? UInt64(bitPattern: -1) : 1 }
            return 0
        },
        "strlen": { call in UInt64(try call.kernel.readCString(call.arg(0)).utf8.count) },
        "wcslen": { call in UInt64(try call.kernel.readWideString(call.arg(0)).utf16.count) },
        "strcmp": { call in compare(try call.kernel.readCString(call.arg(0)), try call.kernel.readCString(call.arg(1))) },
        "wcscmp": { call in compare(try call.kernel.readWideString(call.arg(0)), try call.kernel.readWideString(call.arg(1))) },
        "_stricmp": { call in
            compare(try call.kernel.readCString(call.arg(0)).lowercased(), try call.kernel.readCString(call.arg(1)).lowercased())
        },
        "_wcsicmp": { call in
            compare(try call.kernel.readWideString(call.arg(0)).lowercased(), try call.kernel.readWideString(call.arg(1)).lowercased())
        },
    ]

    static func copy(_ call: KernelCall) throws -> UInt64 {
        let count = Int(min(try call.arg(2), UInt64(maxLength)))
        try call.kernel.writeBytes(call.arg(0), try call.kernel.readBytes(call.arg(1), count: count))
        return try call.arg(0)
    }

    static func compare<S: StringProtocol>(_ a: S, _ b: S) -> UInt64 {
        a == b ? 0 : a < b ? UInt64(bitPattern: -1) : 1
    }
}
