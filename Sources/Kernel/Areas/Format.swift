/// The sprintf family ntoskrnl exports, on GuestFormatter. Variadic forms
/// take their arguments after the format (registers, then the stack); the
/// v* forms take a va_list: a pointer to 8-byte slots. Return values and
/// NUL termination follow the Microsoft CRT:
/// - sprintf / swprintf (the legacy two-argument form ntoskrnl exports) /
///   vsprintf: the count of characters, always terminated;
/// - _snprintf / _snwprintf / _vsnprintf / _vsnwprintf(Buffer, Count, …):
///   the count when it fits (terminated only when shorter than Count),
///   otherwise Count characters, no NUL, and -1;
/// - the _s forms: terminated or empty; -1 when truncated (_TRUNCATE) or
///   when the output does not fit (the buffer is then emptied);
/// - _scprintf / _vscprintf: the count, nothing written.
/// RtlStringCb*/Cch* are inline in ntstrsafe.h and need no model.
enum FormatArea {
    static let truncate = UInt64.max // _TRUNCATE
    static let maxOutput = 1 << 20

    /// Each family is written out narrow and wide, so every exported name is greppable.
    static let handlers: [KernelExport] = [
        // int sprintf(char *Buffer, const char *Format, ...); swprintf is ntoskrnl's legacy two-argument form.
        .ntoskrnl("sprintf") { try plainVariadic($0, wide: false) },
        .ntoskrnl("swprintf") { try plainVariadic($0, wide: true) },
        .ntoskrnl("_swprintf") { try plainVariadic($0, wide: true) },
        // int vsprintf(char *Buffer, const char *Format, va_list ArgList)
        .ntoskrnl("vsprintf") { try plainList($0, wide: false) },
        .ntoskrnl("_vswprintf") { try plainList($0, wide: true) },
        // int _snprintf(char *Buffer, size_t Count, const char *Format, ...)
        .ntoskrnl("_snprintf") { try countedForm($0, wide: false, list: false) },
        .ntoskrnl("_snwprintf") { try countedForm($0, wide: true, list: false) },
        .ntoskrnl("_vsnprintf") { try countedForm($0, wide: false, list: true) },
        .ntoskrnl("_vsnwprintf") { try countedForm($0, wide: true, list: true) },
        // int sprintf_s(char *Buffer, size_t SizeOfBuffer, const char *Format, ...)
        .ntoskrnl("sprintf_s") { try secureForm($0, wide: false, counted: false, list: false) },
        .ntoskrnl("swprintf_s") { try secureForm($0, wide: true, counted: false, list: false) },
        .ntoskrnl("vsprintf_s") { try secureForm($0, wide: false, counted: false, list: true) },
        .ntoskrnl("vswprintf_s") { try secureForm($0, wide: true, counted: false, list: true) },
        // int _snprintf_s(char *Buffer, size_t SizeOfBuffer, size_t Count, const char *Format, ...)
        .ntoskrnl("_snprintf_s") { try secureForm($0, wide: false, counted: true, list: false) },
        .ntoskrnl("_snwprintf_s") { try secureForm($0, wide: true, counted: true, list: false) },
        .ntoskrnl("_vsnprintf_s") { try secureForm($0, wide: false, counted: true, list: true) },
        .ntoskrnl("_vsnwprintf_s") { try secureForm($0, wide: true, counted: true, list: true) },
        // int _scprintf(const char *Format, ...)
        .ntoskrnl("_scprintf") { try countOnly($0, wide: false, list: false) },
        .ntoskrnl("_scwprintf") { try countOnly($0, wide: true, list: false) },
        .ntoskrnl("_vscprintf") { try countOnly($0, wide: false, list: true) },
        .ntoskrnl("_vscwprintf") { try countOnly($0, wide: true, list: true) },
    ]

    static func plainVariadic(_ call: KernelCall, wide: Bool) throws -> UInt64 {
        try plain(call, wide: wide, buffer: call.arg(0), format: call.arg(1), arguments: .variadic(2))
    }

    static func plainList(_ call: KernelCall, wide: Bool) throws -> UInt64 {
        try plain(call, wide: wide, buffer: call.arg(0), format: call.arg(1), arguments: .list(call.arg(2)))
    }

    static func countedForm(_ call: KernelCall, wide: Bool, list: Bool) throws -> UInt64 {
        try counted(call, wide: wide, buffer: call.arg(0), count: call.arg(1), format: call.arg(2),
                    arguments: list ? .list(call.arg(3)) : .variadic(3))
    }

    static func secureForm(_ call: KernelCall, wide: Bool, counted: Bool, list: Bool) throws -> UInt64 {
        let rest = counted ? 4 : 3
        return try secure(call, wide: wide, buffer: call.arg(0), size: call.arg(1), count: counted ? call.arg(2) : nil,
                          format: call.arg(rest - 1), arguments: list ? .list(call.arg(rest)) : .variadic(rest))
    }

    static func countOnly(_ call: KernelCall, wide: Bool, list: Bool) throws -> UInt64 {
        UInt64(try render(call, wide: wide, format: call.arg(0), arguments: list ? .list(call.arg(1)) : .variadic(1)).count)
    }

    enum Arguments {
        /// Arguments from this index on, by the x64 convention.
        case variadic(Int)
        /// A va_list: consecutive 8-byte slots.
        case list(UInt64)
    }

    static let minusOne = UInt64(bitPattern: -1)

    /// The formatted output (bytes widened for narrow formats, UTF-16 for wide).
    static func render(_ call: KernelCall, wide: Bool, format: UInt64, arguments: Arguments) throws -> [UInt16] {
        let kernel = call.kernel
        let formatUnits = wide ? try GuestText.wideZ(kernel, format, max: 0x8000)
                               : try GuestText.bytesZ(kernel, format, max: 0x8000).map { UInt16($0) }
        var index = 0
        let formatter = GuestFormatter(kernel: kernel, wideFormat: wide, maxOutput: maxOutput)
        let output = try formatter.run(formatUnits, wideOutput: wide) {
            defer { index += 1 }
            guard index < 4096 else { return 0 }
            switch arguments {
            case .variadic(let first): return try call.arg(first + index)
            case .list(let list): return try kernel.readU64(list &+ UInt64(index * 8))
            }
        }
        let preview = wide ? GuestText.string(output) : String(decoding: output.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
        call.note("\"" + String(preview.prefix(200)).replacingNewlines() + "\"")
        return output
    }

    static func store(_ kernel: Kernel, _ buffer: UInt64, _ units: ArraySlice<UInt16>, wide: Bool, terminate: Bool) throws {
        var data: [UInt8] = []
        data.reserveCapacity(units.count * (wide ? 2 : 1) + 2)
        for unit in units {
            data.append(UInt8(truncatingIfNeeded: unit))
            if wide { data.append(UInt8(truncatingIfNeeded: unit >> 8)) }
        }
        if terminate { data += wide ? [0, 0] : [0] }
        if !data.isEmpty { try kernel.writeBytes(buffer, data) }
    }

    static func plain(_ call: KernelCall, wide: Bool, buffer: UInt64, format: UInt64, arguments: Arguments) throws -> UInt64 {
        let output = try render(call, wide: wide, format: format, arguments: arguments)
        try store(call.kernel, buffer, output[...], wide: wide, terminate: true)
        return UInt64(output.count)
    }

    static func counted(_ call: KernelCall, wide: Bool, buffer: UInt64, count: UInt64, format: UInt64,
                        arguments: Arguments) throws -> UInt64 {
        let output = try render(call, wide: wide, format: format, arguments: arguments)
        let limit = Int(min(count, UInt64(maxOutput)))
        if output.count < limit {
            try store(call.kernel, buffer, output[...], wide: wide, terminate: true)
            return UInt64(output.count)
        }
        try store(call.kernel, buffer, output.prefix(limit), wide: wide, terminate: false)
        return output.count == limit ? UInt64(limit) : minusOne
    }

    static func secure(_ call: KernelCall, wide: Bool, buffer: UInt64, size: UInt64, count: UInt64?, format: UInt64,
                       arguments: Arguments) throws -> UInt64 {
        guard buffer != 0, size > 0, size <= UInt64(Int32.max) else {
            call.note("invalid parameter (NULL buffer or zero size)")
            return minusOne
        }
        let output = try render(call, wide: wide, format: format, arguments: arguments)
        let capacity = Int(min(size, UInt64(maxOutput))) - 1
        if count == truncate {
            let n = min(output.count, capacity)
            try store(call.kernel, buffer, output.prefix(n), wide: wide, terminate: true)
            return n < output.count ? minusOne : UInt64(n)
        }
        let wanted = count.map { min(output.count, Int(min($0, UInt64(maxOutput)))) } ?? output.count
        guard wanted <= capacity else {
            call.note("buffer too small: emptied")
            try store(call.kernel, buffer, [][...], wide: wide, terminate: true)
            return minusOne
        }
        try store(call.kernel, buffer, output.prefix(wanted), wide: wide, terminate: true)
        return wanted < output.count ? minusOne : UInt64(wanted)
    }
}
