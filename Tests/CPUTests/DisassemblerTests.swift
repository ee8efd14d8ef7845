import Testing
@testable import CPU

@Suite struct DisassemblerTests {
    @Test func decodesTextAndLength() throws {
        let disassembler = try Disassembler()
        let insn = try #require(disassembler.decode([0x48, 0x89, 0x03, 0x90], at: 0x1000))
        #expect(insn.text == "mov qword ptr [rbx], rax")
        #expect(insn.length == 3)
        #expect(insn.bytes == [0x48, 0x89, 0x03])
        #expect(disassembler.decode([0x0F, 0xFF], at: 0) == nil || disassembler.decode([0x0F, 0xFF], at: 0)?.length == 2)
        #expect(disassembler.decode([], at: 0) == nil)
    }

    @Test func decodesFromEngineMemoryAtPageEnd() throws {
        let cpu = try Engine()
        try cpu.map(0x1000, size: 0x1000, protection: .all)
        try cpu.writeMemory(0x1FFF, [0xC3])
        let disassembler = try Disassembler()
        let insn = try #require(disassembler.decode(in: cpu, at: 0x1FFF))
        #expect(insn.text == "ret")
    }
}
