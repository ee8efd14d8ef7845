/// Debug output and bug checks. DbgPrint output goes into the report (and
/// the trace); KeBugCheck(Ex) ends the entry point with the driver's code.
enum DebugArea {
    static let handlers: [String: KernelHandler] = [
        "DbgPrint": { call in try debugPrint(call, formatIndex: 0) },
        "DbgPrintEx": { call in try debugPrint(call, formatIndex: 2) },
        "vDbgPrintEx": { _ in 0 },
        "KeBugCheckEx": { call in
            throw KernelStop.bugCheck(code: try call.arg32(0), parameters: [try call.arg(1), try call.arg(2), try call.arg(3), try call.arg(4)],
                                      site: call.returnAddress)
        },
        "KeBugCheck": { call in
            throw KernelStop.bugCheck(code: try call.arg32(0), parameters: [0, 0, 0, 0], site: call.returnAddress)
        },
    ]

    static func debugPrint(_ call: KernelCall, formatIndex: Int) throws -> UInt64 {
        let kernel = call.kernel
        let format = try kernel.readCString(call.arg(formatIndex), maxLength: 4096)
        var next = formatIndex + 1
        let text = try GuestFormatter(kernel: kernel).format(format) {
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
