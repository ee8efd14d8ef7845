import Testing
@testable import CPU

@Suite struct HookTests {
    @Test func codeHookOnlyInRange() throws {
        // 4 x nop, then at 0x1004: nop; nop
        let cpu = try engine(code: [0x90, 0x90, 0x90, 0x90, 0x90, 0x90])
        var seen: [UInt64] = []
        try cpu.addCodeHook(range: 0x1004...0x1005) { _, address, size in
            seen.append(address)
            #expect(size == 1)
        }
        try cpu.start(at: 0x1000, until: 0x1006)
        #expect(seen == [0x1004, 0x1005])
    }

    @Test func hookCanStopAndBeRemoved() throws {
        let cpu = try engine(code: [0x90, 0x90, 0x90, 0x90])
        var count = 0
        let hook = try cpu.addCodeHook(range: nil) { engine, _, _ in
            count += 1
            if count == 2 { engine.stop() }
        }
        try cpu.start(at: 0x1000, until: 0x1004)
        #expect(count == 2)
        #expect(try cpu.read(.rip) == 0x1001)
        cpu.removeHook(hook)
        try cpu.start(at: 0x1000, until: 0x1004)
        #expect(count == 2)
    }

    @Test func interruptHook() throws {
        // int3; nop
        let cpu = try engine(code: [0xCC, 0x90])
        var vectors: [UInt32] = []
        try cpu.addInterruptHook { engine, vector in
            vectors.append(vector)
            engine.stop()
        }
        try cpu.start(at: 0x1000, until: 0x1002)
        #expect(vectors == [3])
    }

    @Test func memoryTraceHook() throws {
        // mov [rbx], rax
        let cpu = try engine(code: [0x48, 0x89, 0x03])
        try cpu.map(0x4000, size: 0x1000, protection: [.read, .write])
        try cpu.write(.rbx, 0x4008)
        try cpu.write(.rax, 0x77)
        var writes: [MemoryAccess] = []
        try cpu.addMemoryHook(.write, range: 0x4000...0x4FFF) { _, access in writes.append(access) }
        try cpu.start(at: 0x1000, until: 0x1003)
        #expect(writes == [MemoryAccess(kind: .write, address: 0x4008, size: 8, value: 0x77)])
    }

    @Test func cpuidHook() throws {
        // cpuid
        let cpu = try engine(code: [0x0F, 0xA2])
        try cpu.addCPUIDHook { engine in
            try? engine.write(.rax, 0x1234)
            return true
        }
        try cpu.start(at: 0x1000, until: 0x1002)
        #expect(try cpu.read(.rax) == 0x1234)
    }
}
