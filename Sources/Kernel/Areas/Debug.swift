/// Debug output and bug checks. DbgPrint output goes into the report (and
/// the trace); KeBugCheck(Ex) ends the entry point with the driver's code.
enum DebugArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("DbgPrint") { call in try debugPrint(call, formatIndex: 0) },
        .ntoskrnl("DbgPrintEx") { call in try debugPrint(call, formatIndex: 2) },
        // (ComponentId, Level, Format, arglist) and (Prefix, ComponentId, Level, Format, arglist):
        // a va_list is a pointer to consecutive 8-byte slots.
        .ntoskrnl("vDbgPrintEx") { call in try debugPrint(call, formatIndex: 2, vaList: call.arg(3)) },
        .ntoskrnl("vDbgPrintExWithPrefix") { call in
            let prefix = try call.arg(0) == 0 ? "" : call.kernel.readCString(call.arg(0), maxLength: 256)
            return try debugPrint(call, formatIndex: 3, vaList: call.arg(4), prefix: prefix)
        },
        .ntoskrnl("KeBugCheckEx") { call in
            throw KernelStop.bugCheck(code: try call.arg32(0), parameters: [try call.arg(1), try call.arg(2), try call.arg(3), try call.arg(4)],
                                      site: call.returnAddress)
        },
        .ntoskrnl("KeBugCheck") { call in
            throw KernelStop.bugCheck(code: try call.arg32(0), parameters: [0, 0, 0, 0], site: call.returnAddress)
        },
    ]

    /// The arguments follow the format (variadic), or come from `vaList` when it is given.
    static func debugPrint(_ call: KernelCall, formatIndex: Int, vaList: UInt64? = nil, prefix: String = "") throws -> UInt64 {
        let kernel = call.kernel
        let format = try kernel.readCString(call.arg(formatIndex), maxLength: 4096)
        var next = formatIndex + 1, slot: UInt64 = 0
        let text = try prefix + GuestFormatter(kernel: kernel).format(format) {
            if let vaList {
                defer { slot += 1 }
                return try kernel.readU64(vaList &+ slot &* 8)
            }
            defer { next += 1 }
            return try call.arg(next)
        }
        kernel.debugOutput.append(text)
        call.note("\"" + text.replacingNewlines() + "\"")
        return 0
    }
}

extension String {
    func replacingNewlines() -> String {
        var out = ""
        for c in self { out += c == "\n" ? "\\n" : String(c) }
        return out
    }
}
