import CPU
import Kernel

/// Finds IOCTL codes a dispatch routine compares against: a cheap linear
/// disassembly of its first bytes, keeping 32-bit immediates shaped like
/// CTL_CODE values (a device type in the high word, not an NTSTATUS).
struct IoctlScanner {
    static let scanBytes = 0x1000
    static let maxCodes = 32

    /// `length`: the routine's size when .pdata gives it (the scan stays inside the function).
    static func codes(in kernel: Kernel, routine: UInt64, length: Int?) -> [UInt32] {
        guard let disassembler = try? Disassembler() else { return [] }
        let count = min(length ?? scanBytes, scanBytes)
        // The routine may sit near the end of its section: fall back to the rest of its page.
        let bytes = (try? kernel.readBytes(routine, count: count))
            ?? (try? kernel.readBytes(routine, count: Int(0x1000 - routine % 0x1000))) ?? []
        var found: [UInt32] = []
        var offset = 0
        while offset < bytes.count, found.count < maxCodes {
            guard let insn = disassembler.decode(Array(bytes[offset...].prefix(15)), at: routine + UInt64(offset)) else {
                offset += 1
                continue
            }
            offset += insn.length
            guard ["cmp", "sub", "mov", "add", "lea"].contains(insn.mnemonic) else { continue }
            // A constant loaded into an argument register is a call's argument (a pool tag, flags).
            if insn.mnemonic == "mov", ["ecx", "edx", "r8d", "r9d", "rcx", "rdx", "r8", "r9"]
                .contains(String(insn.operands.split(separator: ",").first ?? "")) { continue }
            for token in insn.operands.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "[" || $0 == "]" }) {
                guard token.hasPrefix("0x"), let value = UInt64(token.dropFirst(2), radix: 16), value <= 0xFFFF_FFFF else { continue }
                let code = UInt32(value)
                if looksLikeIoctl(code), !found.contains(code) { found.append(code) }
            }
        }
        return found
    }

    /// CTL_CODE(DeviceType, Function, Method, Access) = type << 16 | access << 14 | function << 2 | method.
    static func looksLikeIoctl(_ code: UInt32) -> Bool {
        let deviceType = code >> 16
        guard deviceType != 0, code < 0x8000_0000 || deviceType < 0xC000 else { return false }
        // NTSTATUS-like values and common masks are not IOCTLs.
        if code & 0xC000_0000 == 0xC000_0000 || code == 0xFFFF_0000 || code & 0xFFFF == 0xFFFF { return false }
        return (code >> 2) & 0xFFF != 0 || deviceType >= 0x22
    }
}
