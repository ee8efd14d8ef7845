import CPU
import Kernel

/// Finds IOCTL codes a dispatch routine compares against: a cheap linear
/// decode of its first bytes (the pure-Swift `InstructionDecoder`, no Capstone),
/// keeping 32-bit immediates and displacements shaped like CTL_CODE values (a
/// device type in the high word, not an NTSTATUS).
struct IoctlScanner {
    static let scanBytes = 0x1000
    static let maxCodes = 32

    /// `length`: the routine's size when .pdata gives it (the scan stays inside the function).
    static func codes(in kernel: Kernel, routine: UInt64, length: Int?) -> [UInt32] {
        let count = min(length ?? scanBytes, scanBytes)
        // The routine may sit near the end of its section: fall back to the rest of its page.
        let bytes = (try? kernel.readBytes(routine, count: count))
            ?? (try? kernel.readBytes(routine, count: Int(0x1000 - routine % 0x1000))) ?? []
        var found: [UInt32] = []
        func consider(_ value: UInt64) {
            guard value <= 0xFFFF_FFFF else { return }
            let code = UInt32(value)
            if looksLikeIoctl(code), !found.contains(code) { found.append(code) }
        }
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count, found.count < maxCodes {
                guard let insn = InstructionDecoder.decode(UnsafeRawBufferPointer(rebasing: buffer[offset...])) else {
                    offset += 1
                    continue
                }
                offset += insn.length
                switch insn.operation {
                case .cmp, .sub, .mov, .add, .lea: break
                case .other: continue
                }
                // A constant loaded into an argument register (rcx, rdx, r8, r9 or their 32-bit
                // halves) is a call's argument (a pool tag, flags).
                if insn.operation == .mov, insn.operandSize >= 4, let register = insn.destinationRegister,
                   register == 1 || register == 2 || register == 8 || register == 9 { continue }
                // The displacement (its magnitude: [rcx - 0x222004] is how a switch on the code
                // is often compiled; an absolute address as the CPU forms it), then the immediate.
                if let displacement = insn.displacement {
                    consider(insn.isAbsoluteAddress ? UInt64(bitPattern: displacement) : displacement.magnitude)
                }
                if let immediate = insn.immediate { consider(immediate) }
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
