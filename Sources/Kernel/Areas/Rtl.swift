/// Rtl string and memory helpers drivers call instead of the CRT.
enum RtlArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("RtlInitUnicodeString") { call in
            let kernel = call.kernel, destination = try call.arg(0), source = try call.arg(1)
            guard source != 0 else {
                try kernel.writeUnicodeStringHeader(destination, buffer: 0, length: 0, maximumLength: 0)
                return 0
            }
            let text = try kernel.readWideString(source, maxLength: 0x7FFE)
            let length = text.utf16.count * 2
            try kernel.writeUnicodeStringHeader(destination, buffer: source, length: length, maximumLength: length + 2)
            call.note(text)
            return 0
        },
        .ntoskrnl("RtlInitAnsiString") { try StringsArea.initAnsi($0, extended: false) },
        .ntoskrnl("RtlCopyUnicodeString") { call in
            let kernel = call.kernel, destination = try call.arg(0), source = try call.arg(1)
            guard source != 0 else {
                try kernel.writeU16(destination, 0)
                return 0
            }
            let length = Int(try kernel.readU16(source)), maximum = Int(try kernel.readU16(destination &+ 2))
            let count = min(length, maximum)
            let bytes = try kernel.readBytes(try kernel.readU64(source &+ 8), count: count)
            let target = try kernel.readU64(destination &+ 8)
            try kernel.writeBytes(target, bytes)
            if count + 2 <= maximum { try kernel.writeU16(target &+ UInt64(count), 0) }
            try kernel.writeU16(destination, UInt16(count))
            return 0
        },
        .ntoskrnl("RtlCompareMemory") { call in
            let a = try call.kernel.readBytes(call.arg(0), count: Int(min(try call.arg(2), 64 << 20)))
            let b = try call.kernel.readBytes(call.arg(1), count: a.count)
            return UInt64(zip(a, b).prefix { $0 == $1 }.count)
        },
        .ntoskrnl("RtlGetVersion") { call in
            // RTL_OSVERSIONINFOW: size, major, minor, build, platform: Windows 10 22H2 (19045).
            typealias V = RtlMiscArea.OSVersion
            let kernel = call.kernel, info = try call.arg(0)
            try kernel.writeU32(info &+ 4, V.major)
            try kernel.writeU32(info &+ 8, V.minor)
            try kernel.writeU32(info &+ 12, V.build)
            try kernel.writeU32(info &+ 16, V.platform)
            return UInt64(NTStatus.success)
        },
    ]
}
