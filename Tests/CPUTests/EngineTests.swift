import Testing
@testable import CPU

/// Small helpers shared by the CPU tests.
func engine(code: [UInt8], at base: UInt64 = 0x1000, protection: Protection = .all) throws -> Engine {
    let engine = try Engine()
    try engine.map(base, size: 0x1000, protection: protection)
    try engine.writeMemory(base, code)
    return engine
}

@Suite struct EngineTests {
    @Test func arithmeticAndRegisters() throws {
        // mov rax, 0x1122334455667788; add rax, rbx; mov rcx, rax; inc rdx
        let code: [UInt8] = [0x48, 0xB8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                             0x48, 0x01, 0xD8, 0x48, 0x89, 0xC1, 0x48, 0xFF, 0xC2]
        let cpu = try engine(code: code)
        try cpu.write(.rbx, 1)
        try cpu.write(.rdx, 41)
        try cpu.start(at: 0x1000, until: 0x1000 + UInt64(code.count))
        #expect(try cpu.read(.rax) == 0x1122334455667789)
        #expect(try cpu.read(.rcx) == 0x1122334455667789)
        #expect(try cpu.read(.rdx) == 42)
        #expect(try cpu.read(.rip) == 0x1000 + UInt64(code.count))
    }

    @Test func stackMemoryAndGSBase() throws {
        // push rax; pop rbx; mov rcx, gs:[0x10]
        let code: [UInt8] = [0x50, 0x5B, 0x65, 0x48, 0x8B, 0x0C, 0x25, 0x10, 0, 0, 0]
        let cpu = try engine(code: code)
        try cpu.map(0x8000, size: 0x2000, protection: [.read, .write])
        try cpu.write(.rsp, 0x9000)
        try cpu.write(.rax, 0xABCD)
        try cpu.write(.gsBase, 0x8000)
        try cpu.writeMemory(0x8010, [0xEF, 0xBE, 0xAD, 0xDE, 0, 0, 0, 0])
        try cpu.start(at: 0x1000, until: 0x1000 + UInt64(code.count))
        #expect(try cpu.read(.rbx) == 0xABCD)
        #expect(try cpu.read(.rsp) == 0x9000)
        #expect(try cpu.read(.rcx) == 0xDEADBEEF)
        #expect(try cpu.read(.gsBase) == 0x8000)
        #expect(try cpu.readMemory(0x8FF8, count: 2) == [0xCD, 0xAB])
    }

    @Test func vectorRegistersAndMSR() throws {
        let cpu = try Engine()
        try cpu.write(.xmm2, low: 0x1234, high: 0x5678)
        let value = try cpu.read(.xmm2)
        #expect(value.low == 0x1234 && value.high == 0x5678)
        try cpu.writeMSR(0xC000_0101, 0xFFFF_F800_1234_0000) // IA32_GS_BASE
        #expect(try cpu.read(.gsBase) == 0xFFFF_F800_1234_0000)
    }

    @Test func memoryErrorsAreValuesNotTraps() throws {
        let cpu = try Engine()
        #expect(throws: EngineError.self) { try cpu.readMemory(0x5000, count: 4) }
        #expect(throws: EngineError.self) { try cpu.readMemory(UInt64.max - 1, count: 8) }
        #expect(throws: EngineError.self) { try cpu.map(0x1001, size: 0x1000, protection: .all) }
        #expect(throws: EngineError.self) { try cpu.map(UInt64.max & ~0xFFF, size: 0x2000, protection: .all) }
        do {
            _ = try cpu.readMemory(0x5000, count: 4)
        } catch {
            #expect(error.unicornCode == .readUnmapped)
        }
    }

    @Test func instructionLimitAndTimeout() throws {
        // jmp $ (infinite loop)
        let cpu = try engine(code: [0xEB, 0xFE])
        try cpu.start(at: 0x1000, instructionLimit: 100)
        #expect(try cpu.read(.rip) == 0x1000)
        try cpu.start(at: 0x1000, timeoutMicroseconds: 20_000)
        #expect(cpu.timedOut)
    }
}
