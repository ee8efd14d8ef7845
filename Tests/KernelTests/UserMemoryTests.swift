import CPU
import Memory
import Testing
@testable import Kernel

/// ZwAllocateVirtualMemory on the current process gives user-half memory
/// (docs/load-rules.md, "Windows' address space"): the kernel reads and writes
/// it, but executing it is a SMEP fault, bug check 0xFC, with HVCI on or off.
struct UserMemoryTests {
    static let currentProcess = UInt64.max // NtCurrentProcess()
    static let memCommitReserve: UInt64 = 0x3000
    static let pageExecuteReadWrite: UInt64 = 0x40

    @Test(arguments: [true, false])
    func zwAllocateVirtualMemoryIsUserMemoryAndExecutingItIsSMEP(hvci: Bool) throws {
        let h = try KernelHarness(hvci: hvci)
        let out = try h.buffer(16) // *BaseAddress at +0, *RegionSize at +8
        try h.kernel.writeU64(out + 8, 0x1000)
        let status = try h.call("ZwAllocateVirtualMemory", Self.currentProcess, out, 0, out + 8,
                                Self.memCommitReserve, Self.pageExecuteReadWrite)
        #expect(status == UInt64(NTStatus.success))
        let base = try h.kernel.readU64(out)
        #expect(base != 0 && base < 0x0000_8000_0000_0000, "0x\(String(base, radix: 16))")
        #expect(h.memory.pte(of: base).user)
        #expect(h.memory.owner(of: base) == .userMemory(protection: 0x40))

        // The kernel may write there (a copy of code, say) ...
        let code: [UInt8] = [0xB8, 0x34, 0x12, 0x00, 0x00, 0xC3] // mov eax, 0x1234; ret
        try h.kernel.writeBytes(base, code)
        #expect(try h.kernel.readBytes(base, count: code.count) == code)
        // ... but not run it: the PTE says user, the CPU says SMEP, whatever the SLAT allows.
        h.memory.decide = { _ in .enforce }
        #expect(throws: EngineError.self) {
            try h.memory.run(at: base, until: base + 5, timeoutMicroseconds: 5_000_000)
        }
        let violation = try #require(h.memory.takeStopViolation())
        #expect(violation.kind == .smepViolation)
        #expect(violation.bugCheckCode == 0xFC)
        #expect(violation.address == base)
        #expect(violation.deniedBy == .pageTable)
        #expect(violation.hvci == hvci)
    }

    @Test func freedUserMemoryGoesBackToTheUserHalf() throws {
        let h = try KernelHarness(hvci: false)
        let out = try h.buffer(16)
        try h.kernel.writeU64(out + 8, 0x2000)
        _ = try h.call("ZwAllocateVirtualMemory", Self.currentProcess, out, 0, out + 8, Self.memCommitReserve, 0x04)
        let first = try h.kernel.readU64(out)
        try h.kernel.writeU64(out + 8, 0)
        #expect(try h.call("ZwFreeVirtualMemory", Self.currentProcess, out, out + 8, 0x8000) == UInt64(NTStatus.success))
        #expect(h.memory.owner(of: first) == nil)
        try h.kernel.writeU64(out + 8, 0x2000)
        _ = try h.call("ZwAllocateVirtualMemory", Self.currentProcess, out, 0, out + 8, Self.memCommitReserve, 0x04)
        #expect(try h.kernel.readU64(out) == first)
    }
}
