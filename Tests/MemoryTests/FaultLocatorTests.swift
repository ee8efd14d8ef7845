import CPU
import Testing
@testable import Memory

/// The faulting instruction is found by decoding forward from the block start (Unicorn leaves
/// RIP there): by the written operand for writes, through FS/GS, [rdi] of string stores, and
/// not by an earlier instruction that only reads, or only computes, the same address.
@Suite struct FaultLocatorTests {
    @Test func writeIsNotAttributedToAnEarlierCompareOrLEA() throws {
        let machine = try Machine(hvci: true)
        let bytes: [UInt8] = [0x48, 0x83, 0x3B, 0x00]   // cmp qword ptr [rbx], 0
            + [0x48, 0x8D, 0x0B]                          // lea rcx, [rbx]
            + X64.movMemRbxRax                            // mov [rbx], rax
        try machine.run(bytes, registers: [.rbx: machine.code2, .rax: 1])
        let violation = try #require(machine.violations.first)
        #expect(violation.kind == .codePageWrite)
        #expect(violation.rip == machine.code + 7)
    }

    @Test func gsRelativeStore() throws {
        let machine = try Machine(hvci: true)
        try machine.engine.write(.gsBase, machine.code2 - 0x10)
        let bytes: [UInt8] = [0x90]                                   // nop
            + [0x65, 0x48, 0x89, 0x04, 0x25, 0x18, 0x00, 0x00, 0x00]  // mov gs:[0x18], rax
        try machine.run(bytes, registers: [.rax: 1])
        let violation = try #require(machine.violations.first)
        #expect(violation.address == machine.code2 + 8)
        #expect(violation.rip == machine.code + 1)
    }

    @Test func repStosWritesThroughRDI() throws {
        let machine = try Machine(hvci: true)
        let bytes: [UInt8] = X64.movEcx5 + [0x48, 0x8B, 0x07] + [0xF3, 0xAA]  // mov ecx, 5; mov rax, [rdi]; rep stosb
        try machine.run(bytes, registers: [.rdi: machine.code2])
        let violation = try #require(machine.violations.first)
        #expect(violation.kind == .codePageWrite)
        #expect(violation.rip == machine.code + 8)
    }

    @Test func readOfUnmappedMemoryAfterLEA() throws {
        let machine = try Machine(hvci: true)
        let bytes: [UInt8] = [0x48, 0x8D, 0x4F, 0x08]  // lea rcx, [rdi + 8]
            + [0x48, 0x8B, 0x47, 0x08]                   // mov rax, [rdi + 8]
        #expect(throws: EngineError.self) { try machine.run(bytes, registers: [.rdi: 0x1000]) }
        let violation = try #require(machine.violations.first)
        #expect(violation.kind == .unmapped && violation.access == .read)
        #expect(violation.rip == machine.code + 4)
    }
}
