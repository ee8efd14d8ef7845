import Memory
import Testing
@testable import Kernel

/// Driver Verifier's code-integrity checks on the DDIs of Microsoft's memory
/// integrity list that take a WIN32 page protection (docs/ddi-checks.md), and
/// the models around them.
struct VerifierDDITests {
    /// DV's four bug check 0xC4 parameters of the last finding.
    func parameters(_ h: KernelHarness) -> [String] { h.kernel.findings.last?.bugCheck?.parameters ?? [] }

    @Test func contiguousNodeMemoryWithAnExecuteProtectionIs2001() throws {
        let h = try KernelHarness(hvci: false)
        let memory = try h.call("MmAllocateContiguousNodeMemory", 0x3000, 0, UInt64.max, 0, 0x40, 0)
        #expect(memory != 0)
        #expect(h.kernel.findings.map(\.code) == ["0x2001"])
        #expect(h.kernel.findings.last?.bugCheck?.code == 0xC4)
        #expect(parameters(h).first == "0x2001")
        #expect(parameters(h)[2] == "0x40")
        #expect(h.memory.effectiveRights(of: memory)?.contains(.execute) == true) // HVCI off: what was asked
    }

    @Test func contiguousNodeMemoryReadWriteIsNoExecuteAndNoFinding() throws {
        let h = try KernelHarness()
        let memory = try h.call("MmAllocateContiguousNodeMemory", 0x3000, 0, UInt64.max, 0, 0x04 | 0x200, 0)
        #expect(memory != 0)
        #expect(h.kernel.findings.isEmpty)
        #expect(h.memory.effectiveRights(of: memory) == .readWrite)
        // Neither PAGE_READWRITE nor PAGE_EXECUTE_READWRITE: NULL, as documented.
        #expect(try h.call("MmAllocateContiguousNodeMemory", 0x1000, 0, UInt64.max, 0, 0x02, 0) == 0)
        #expect(try h.call("MmAllocateContiguousNodeMemory", 0x1000, 0, UInt64.max, 0, 0x04 | 0x600, 0) == 0)
    }

    @Test func protectVirtualMemoryToExecuteIs2001AndReturnsTheOldProtection() throws {
        let h = try KernelHarness(hvci: false)
        let base = try h.buffer(8), size = try h.buffer(8), old = try h.buffer(4)
        try h.kernel.writeU64(size, 0x2000)
        #expect(try h.call("ZwAllocateVirtualMemory", UInt64.max, base, 0, size, 0x3000, 0x04) == 0)
        let region = try h.kernel.readU64(base)
        #expect(h.kernel.findings.isEmpty)
        try h.kernel.writeU64(size, 0x1000)
        #expect(try h.call("ZwProtectVirtualMemory", UInt64.max, base, size, 0x20, old) == 0)
        #expect(h.kernel.findings.map(\.code) == ["0x2001"])
        #expect(parameters(h)[2] == "0x20")
        #expect(try h.kernel.readU32(old) == 0x04)
        // The region is user memory (ZwAllocateVirtualMemory on the current process): the PTE now
        // grants execute, but SMEP keeps kernel mode from running it, so kernel-mode rights are r--.
        #expect(h.memory.effectiveRights(of: region) == .read)
        #expect(h.memory.effectiveRights(of: region + 0x1000) == .readWrite)
    }

    @Test func protectVirtualMemoryReadOnlyIsNoFindingAndOnlyOnTheDriversOwnMemory() throws {
        let h = try KernelHarness()
        let base = try h.buffer(8), size = try h.buffer(8), old = try h.buffer(4)
        try h.kernel.writeU64(size, 0x1000)
        #expect(try h.call("NtAllocateVirtualMemory", UInt64.max, base, 0, size, 0x3000, 0x04) == 0)
        #expect(try h.call("NtProtectVirtualMemory", UInt64.max, base, size, 0x02, old) == 0)
        #expect(h.kernel.findings.isEmpty)
        #expect(try h.kernel.readU32(old) == 0x04)
        // Memory the driver did not allocate with ZwAllocateVirtualMemory.
        try h.kernel.writeU64(base, try h.buffer(0x1000))
        #expect(try h.call("ZwProtectVirtualMemory", UInt64.max, base, size, 0x04, old) == 0xC000_0018)
        // A region size that wraps around the address space never traps.
        try h.kernel.writeU64(size, UInt64.max)
        #expect(try h.call("ZwProtectVirtualMemory", UInt64.max, base, size, 0x04, old) == 0xC000_0018)
    }

    @Test func copyMemoryCopiesVirtualAndPhysicalAndFailsSoftly() throws {
        let h = try KernelHarness()
        let source = try h.buffer(0x2000), target = try h.buffer(0x2000), done = try h.buffer(8)
        try h.kernel.writeBytes(source + 0xFFE, [1, 2, 3, 4])
        #expect(try h.call("MmCopyMemory", target, source + 0xFFE, 4, 2, done) == 0)
        #expect(try h.kernel.readBytes(target, count: 4) == [1, 2, 3, 4])
        #expect(try h.kernel.readU64(done) == 4)
        // Physical: the frame behind the source page.
        let physical = try #require(h.memory.frame(of: source + 0x1000)) << 12
        #expect(try h.call("MmCopyMemory", target, physical, 2, 1, done) == 0)
        #expect(try h.kernel.readBytes(target, count: 2) == [3, 4])
        // An unmapped source is a status, not a bug check; no DV finding either way.
        #expect(try h.call("MmCopyMemory", target, 0xFFFF_8000_DEAD_0000, 16, 2, done) == UInt64(NTStatus.accessViolation))
        #expect(try h.kernel.readU64(done) == 0)
        #expect(try h.call("MmCopyMemory", target, source, 16, 3, done) == UInt64(NTStatus.invalidParameter))
        #expect(h.kernel.findings.isEmpty)
    }

    @Test func unlockPagesReleasesTheSystemMappingAndFreeMdlClearsTheHeader() throws {
        let h = try KernelHarness()
        let data = try h.buffer(0x1000)
        let mdl = try h.call("IoAllocateMdl", data, 0x1000, 0, 0, 0)
        try h.call("MmProbeAndLockPages", mdl, 0, 1)
        let mapped = try h.call("MmMapLockedPagesSpecifyCache", mdl, 0, 1, 0, 0, 0x4000_0010)
        #expect(h.memory.effectiveRights(of: mapped) == .readWrite)
        try h.call("MmUnlockPages", mdl)
        #expect(h.memory.effectiveRights(of: mapped) == nil)
        #expect(try h.kernel.readU16(mdl + UInt64(Layout.MDL.mdlFlags)) & (Layout.MDL.pagesLocked | Layout.MDL.mappedToSystemVa) == 0)
        try h.call("IoFreeMdl", mdl)
        #expect(try h.kernel.readU64(mdl + UInt64(Layout.MDL.startVa)) == 0)
    }
}
