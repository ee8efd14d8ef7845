import CPU
import Testing
@testable import Memory

@Suite struct HVCISemanticsTests {
    @Test func aliasWriteIsVisibleThroughTheOtherMapping() throws {
        let machine = try Machine(hvci: true)
        let pool = try machine.memory.allocate(pages: 2, owner: .pool(tag: 0x6C6F_6F50, poolType: 512))
        let mdl = try machine.memory.alias(va: pool.base, count: 2)
        #expect(mdl.base != pool.base)
        #expect(mdl.frames == pool.frames)
        try machine.run(X64.movMemRbxRax, registers: [.rbx: mdl.base + 0x1008, .rax: 0xFEED_FACE])
        #expect(try machine.memory.readU64(pool.base + 0x1008) == 0xFEED_FACE)
        try machine.memory.writeU32(pool.base + 0x10, 0xABCD)
        #expect(try machine.engine.readMemory(mdl.base + 0x10, count: 2) == [0xCD, 0xAB])
        #expect(machine.violations.isEmpty)
        #expect(machine.memory.invariantViolations().isEmpty)
    }

    @Test(arguments: [true, false])
    func writeToVerifiedCodeTraps(hvci: Bool) throws {
        let machine = try Machine(hvci: hvci)
        try machine.memory.write(machine.code2, [0x90, 0x90], mode: .privileged)
        try machine.run(X64.movMemRbxRax + X64.movEcx5, registers: [.rbx: machine.code2, .rax: 0xCC])
        let violation = try #require(machine.violations.first)
        #expect(violation.kind == .codePageWrite)
        #expect(violation.bugCheckCode == 0xBE)
        #expect(violation.rip == machine.code)
        #expect(violation.address == machine.code2)
        #expect(violation.owner == .imageSection(image: "test.sys", section: ".text"))
        #expect(violation.pteRights == .readExecute)
        #expect(violation.slatRights == (hvci ? .readExecute : .all))
        #expect(violation.continued)
        // Audit: the store was dropped, the next instruction ran.
        #expect(try machine.memory.read(machine.code2, count: 2) == [0x90, 0x90])
        #expect(try machine.engine.read(.rcx) == 5)
    }

    @Test func enforceStopsAtTheFaultingInstruction() throws {
        let machine = try Machine(hvci: true, enforcement: .enforce)
        do {
            try machine.run(X64.movMemRbxRax + X64.movEcx5, registers: [.rbx: machine.code2, .rcx: 0])
            Issue.record("expected the write to stop emulation")
        } catch {
            #expect((error as? EngineError)?.unicornCode == .writeProtected)
        }
        let stop = try #require(machine.memory.takeStopViolation())
        #expect(stop.kind == .codePageWrite && !stop.continued)
        #expect(try machine.engine.read(.rip) == machine.code)
        let skipped = try machine.memory.skipInstruction()
        #expect(skipped.address == machine.code && skipped.length == 3)
        #expect(machine.memory.disassemble(at: skipped.address)?.text == "mov qword ptr [rbx], rax")
        #expect(try machine.engine.read(.rip) == machine.code + 3)
    }

    @Test(arguments: [true, false])
    func dataExecution(hvci: Bool) throws {
        let machine = try Machine(hvci: hvci, enforcement: .enforce)
        // NonPagedPoolExecute: the PTE allows execution; only the SLAT can refuse.
        let pool = try machine.memory.allocate(pages: 1, owner: .pool(tag: 0x2020_2020, poolType: 0), rights: .all)
        try machine.memory.write(pool.base, X64.movEax1234Ret)
        let call = X64.callRsi
        if hvci {
            #expect(throws: EngineError.self) { try machine.run(call, registers: [.rsi: pool.base, .rax: 0]) }
            let violation = try #require(machine.memory.takeStopViolation())
            #expect(violation.kind == .executeNonVerified)
            #expect(violation.bugCheckCode == 0xFC)
            #expect(violation.deniedBy == .slat)
            #expect(violation.address == pool.base)
        } else {
            try machine.run(call, registers: [.rsi: pool.base, .rax: 0])
            #expect(try machine.engine.read(.rax) == 0x1234)
            #expect(machine.violations.isEmpty)
        }
    }

    @Test(arguments: [true, false])
    func guestClearsNXThroughTheSelfMap(hvci: Bool) throws {
        let machine = try Machine(hvci: hvci)
        // Tamper is logged and let through; executing stops (enforce) so we can look.
        machine.memory.decide = { $0.kind == .pteTamper ? .audit : .enforce }
        let pool = try machine.memory.allocate(pages: 1, owner: .pool(tag: 0x6B61_6C42, poolType: 512))
        try machine.memory.write(pool.base, X64.movEax1234Ret)
        let pteAddress = machine.memory.pteAddress(of: pool.base)
        #expect(pteAddress == 0xFFFF_F680_0000_0000 + ((pool.base >> 9) & 0x7F_FFFF_FFF8))
        let before = machine.memory.pte(of: pool.base)
        #expect(before.noExecute && before.present && before.writable)
        let program = X64.movRaxMemRdi + X64.btrRax63 + X64.movMemRdiRax + X64.callRsi
        if hvci {
            #expect(throws: EngineError.self) {
                try machine.run(program, registers: [.rdi: pteAddress, .rsi: pool.base, .rax: 0])
            }
            let tamper = try #require(machine.violations.first)
            #expect(tamper.kind == .pteTamper)
            #expect(tamper.address == pool.base)
            #expect(tamper.pteAfter?.noExecute == false)
            #expect(machine.violations.last?.kind == .executeNonVerified)
            #expect(machine.memory.effectiveRights(of: pool.base) == .readWrite)
        } else {
            try machine.run(program, registers: [.rdi: pteAddress, .rsi: pool.base, .rax: 0])
            #expect(try machine.engine.read(.rax) == 0x1234)
            #expect(machine.violations.isEmpty)
            #expect(machine.memory.effectiveRights(of: pool.base) == .all)
        }
        // Either way the guest's PTE write landed in the model and is logged.
        #expect(machine.memory.pte(of: pool.base).noExecute == false)
        #expect(machine.memory.events.contains { if case .pageTableEdit = $0 { return true } else { return false } })
        #expect(machine.memory.invariantViolations().isEmpty)
    }

    @Test(arguments: [true, false])
    func clearedCR0WPLetsACodeWriteThroughOnlyWithoutHVCI(hvci: Bool) throws {
        let machine = try Machine(hvci: hvci)
        machine.memory.writeProtect = false
        try machine.run(X64.movMemRbxRax, registers: [.rbx: machine.code2, .rax: 0xC3])
        let byte = try machine.memory.readU8(machine.code2)
        if hvci {
            #expect(byte == 0)
            #expect(machine.violations.first?.kind == .codePageWrite)
            #expect(machine.violations.first?.deniedBy == .slat)
        } else {
            #expect(byte == 0xC3)
            #expect(machine.violations.isEmpty)
            #expect(machine.memory.events.first == .writeProtectBypass(address: machine.code2, rip: machine.code))
        }
    }

    @Test func followGuestCR0ReadsTheRegisterAtTrapTime() throws {
        let machine = try Machine(hvci: false)
        machine.memory.followGuestCR0 = true
        let cr0 = try machine.engine.read(.cr0)
        try machine.engine.write(.cr0, cr0 & ~MemoryModel.cr0WriteProtectBit)
        try machine.run(X64.movMemRbxRax, registers: [.rbx: machine.code2, .rax: 0x90])
        #expect(try machine.memory.readU8(machine.code2) == 0x90)
    }

    @Test func readOnlyDataWriteAndUnmappedAccess() throws {
        let machine = try Machine(hvci: true)
        let data = try machine.memory.allocate(pages: 1, owner: .kernelStructure("KUSER_SHARED_DATA"), rights: .read)
        try machine.run(X64.movMemRbxRax, registers: [.rbx: data.base])
        #expect(machine.violations.first?.kind == .readOnlyWrite)
        #expect(machine.violations.first?.owner == .kernelStructure("KUSER_SHARED_DATA"))
        // The guard page after the allocation is unmapped.
        #expect(throws: EngineError.self) { try machine.run(X64.movMemRbxRax, registers: [.rbx: data.end]) }
        let stop = try #require(machine.memory.takeStopViolation())
        #expect(stop.kind == .unmapped && stop.bugCheckCode == 0x50 && stop.access == .write)
    }

    @Test func verifierOnlyAcceptsImageCodeAndTrampolines() throws {
        let machine = try Machine(hvci: true)
        let pool = try machine.memory.allocate(pages: 1, owner: .pool(tag: 0, poolType: 0), rights: .all)
        #expect(throws: MemoryError.self) { try machine.memory.verifier.verifyImageCode(frames: pool.frames) }
        #expect(throws: MemoryError.self) { try machine.memory.verifier.grantTrampoline(frames: pool.frames) }
        let stub = try machine.memory.allocate(pages: 1, owner: .trampoline, rights: .readExecute)
        try machine.memory.verifier.grantTrampoline(frames: stub.frames)
        #expect(machine.memory.effectiveRights(of: stub.base) == .readExecute)
        #expect(machine.memory.effectiveRights(of: pool.base) == .readWrite)
        // An MDL mapping of code shares the frame's SLAT: never writable, even if the PTE says so.
        let mdl = try machine.memory.alias(va: machine.code, count: 1, rights: .readWrite)
        #expect(machine.memory.effectiveRights(of: mdl.base) == .read)
        #expect(machine.memory.invariantViolations().isEmpty)
    }

    @Test func guestReadsItsPTEsAndTheSelfMapIsReadOnlyToTheKernelAPI() throws {
        let machine = try Machine(hvci: true)
        try machine.run(X64.movRaxMemRdi, registers: [.rdi: machine.memory.pteAddress(of: machine.code)])
        #expect(try machine.engine.read(.rax) == machine.memory.pte(of: machine.code).raw)
        #expect(machine.memory.pte(of: machine.code).rights == .readExecute)
        #expect(throws: MemoryError.self) {
            try machine.memory.writeU64(machine.memory.pteAddress(of: machine.code), 0, mode: .privileged)
        }
        // An untouched part of the self-map reads as zero (not present) PTEs.
        try machine.run(X64.movRaxMemRdi, registers: [.rdi: machine.memory.pteAddress(of: 0x1234_5000), .rax: 7])
        #expect(try machine.engine.read(.rax) == 0)
    }
}
