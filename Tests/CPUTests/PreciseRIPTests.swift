import Testing
@testable import CPU

/// Where RIP stands in a fault hook mid-block, and after `stop()` from that hook:
/// the memory model resumes at RIP after applying a trapped PTE write.
@Suite struct PreciseRIPTests {
    @Test func ripInFaultHookAndAfterStop() throws {
        // mov eax,1; mov ebx,2; mov [rdx],al; mov ecx,3; nop; nop
        let code: [UInt8] = [0xB8, 1, 0, 0, 0, 0xBB, 2, 0, 0, 0, 0x88, 0x02, 0xB9, 3, 0, 0, 0, 0x90, 0x90]
        let cpu = try Engine()
        try cpu.map(0x1000, size: 0x1000, protection: [.read, .execute])
        try cpu.writeMemory(0x1000, code)
        try cpu.map(0x4000, size: 0x1000, protection: .read)
        try cpu.write(.rdx, 0x4000)
        var ripInHook: UInt64 = 0
        try cpu.addFaultHook(.writeProtected) { engine, _ in
            ripInHook = (try? engine.read(.rip)) ?? 0
            engine.stop()
            return true
        }
        try cpu.start(at: 0x1000, until: 0x1000 + UInt64(code.count))
        let after = try cpu.read(.rip)
        #expect(after == 0x1000)
        #expect(try cpu.read(.rcx) == 0)
        // Inside a block Unicorn does not keep RIP current: the hook sees the block start.
        #expect(ripInHook == 0x1000)
    }

    /// Nor does an unhandled fault (hook returns false) restore the faulting instruction's
    /// RIP, although the instructions before it have run: the memory model therefore finds the
    /// instruction itself (`FaultLocator`) to retry or skip it.
    @Test func unhandledFaultLeavesRIPAtBlockStart() throws {
        let code: [UInt8] = [0xB8, 1, 0, 0, 0, 0xBB, 2, 0, 0, 0, 0x88, 0x02, 0xB9, 3, 0, 0, 0, 0x90, 0x90]
        let cpu = try Engine()
        try cpu.map(0x1000, size: 0x1000, protection: [.read, .execute])
        try cpu.writeMemory(0x1000, code)
        try cpu.map(0x4000, size: 0x1000, protection: .read)
        try cpu.write(.rdx, 0x4000)
        try cpu.addFaultHook(.writeProtected) { _, _ in false }
        #expect(throws: EngineError.self) { try cpu.start(at: 0x1000, until: 0x1000 + UInt64(code.count)) }
        #expect(try cpu.read(.rip) == 0x1000)
        #expect(try cpu.read(.rbx) == 2)
    }
}
