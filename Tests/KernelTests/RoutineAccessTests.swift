import CPU
@testable import Memory
import Testing
@testable import Kernel

/// The kernel's own routines write for the driver through the same page tables and SLAT as a
/// driver store (DESIGN §2.1): memcpy onto code is refused with HVCI, decided by the PTE and
/// CR0.WP without it, and a routine's fault on unmapped memory is the driver's 0x50 at its call.
struct RoutineAccessTests {
    /// Where the tests pretend the driver called from (the return address on the stack).
    static let callSite: UInt64 = 0x1_4000_1055

    /// One page of "driver code" (an image .text page, R-X), holding `mov eax, 1; ret`;
    /// verified by CI, so with HVCI on its frame is SLAT read+execute.
    private func codePage(_ h: KernelHarness) throws -> UInt64 {
        let page = try h.memory.allocate(pages: 1, owner: .imageSection(image: "test.sys", section: ".text"),
                                         rights: .readExecute)
        try h.memory.write(page.base, [0xB8, 0x01, 0, 0, 0, 0xC3], mode: .privileged)
        try h.memory.verifier.verifyImageCode(frames: page.frames)
        try h.engine.write(.rsp, h.stack.end - 0x1000)
        try h.kernel.writeU64(h.stack.end - 0x1000, Self.callSite)
        return page.base
    }

    private func routineViolations(_ h: KernelHarness) -> [Violation] {
        h.memory.events.compactMap { if case .violation(let v) = $0, v.routine != nil { return v } else { return nil } }
    }

    /// Each copy / fill routine, called to put 0x02 at `target` (the byte after B8).
    static let routines: [(String, @Sendable (UInt64, UInt64) -> [UInt64])] = [
        ("memcpy", { [$0, $1, 1] }), ("memmove", { [$0, $1, 1] }), ("memset", { target, _ in [target, 2, 1] }),
        ("RtlCopyMemory", { [$0, $1, 1] }), ("RtlMoveMemory", { [$0, $1, 1] }),
        ("RtlFillMemory", { target, _ in [target, 1, 2] }), ("RtlZeroMemory", { target, _ in [target, 1] }),
    ]

    @Test(arguments: routines.indices)
    func hvciRefusesARoutineWriteToCodeAtTheDriversCallNamingTheRoutine(_ index: Int) throws {
        let (name, arguments) = Self.routines[index]
        let h = try KernelHarness(hvci: true)
        let code = try codePage(h)
        let source = try h.buffer(8)
        try h.kernel.writeU8(source, 2)
        // CR0.WP cleared does not matter: the SLAT refuses.
        h.memory.writeProtect = false
        try h.kernel.invoke(name, arguments: arguments(code + 1, source))
        #expect(try h.memory.read(code, count: 2) == [0xB8, 0x01], "audit: the write is dropped")
        let violation = try #require(routineViolations(h).first)
        #expect(violation.kind == .codePageWrite && violation.deniedBy == .slat)
        #expect(violation.routine == "ntoskrnl.exe!" + name)
        #expect(violation.rip == Self.callSite)
        #expect(violation.address == code + 1)
        #expect(violation.bugCheckCode == 0xBE)
        #expect(violation.bugCheckParameters == [code + 1, h.memory.pte(of: code).raw, 0, 0])
        #expect(violation.continued)
    }

    @Test func anOutParameterInCodeIsRefusedLikeACopy() throws {
        let h = try KernelHarness(hvci: true)
        let code = try codePage(h)
        // ZwQuerySystemInformation(SystemCodeIntegrityInformation, code, 8, NULL) writes Length and options.
        try h.kernel.invoke("ZwQuerySystemInformation", arguments: [103, code, 8, 0])
        let violation = try #require(routineViolations(h).first)
        #expect(violation.routine == "ntoskrnl.exe!ZwQuerySystemInformation")
        #expect(violation.kind == .codePageWrite)
    }

    @Test func enforceStopsTheEntryPointWithTheBugCheckAtTheCall() throws {
        let h = try KernelHarness(hvci: true, enforcement: .enforce)
        let code = try codePage(h)
        let source = try h.buffer(8)
        let pte = h.memory.pte(of: code).raw
        let expected = KernelStop.bugCheck(code: 0xBE, parameters: [code + 1, pte, 0, 0], site: Self.callSite)
        #expect(throws: expected) { try h.kernel.invoke("memcpy", arguments: [code + 1, source, 1]) }
        #expect(h.kernel.stopReason == expected)
        #expect(routineViolations(h).first?.continued == false)
        #expect(h.memory.takeStopViolation() == nil, "the kernel stops the entry point, not the memory model")
    }

    @Test(arguments: [true, false])
    func withoutHVCIThePTEAndCR0WPDecide(writeProtect: Bool) throws {
        let h = try KernelHarness(hvci: false)
        let code = try codePage(h)
        let source = try h.buffer(8)
        try h.kernel.writeU8(source, 2)
        h.memory.writeProtect = writeProtect
        try h.kernel.invoke("memcpy", arguments: [code + 1, source, 1])
        if writeProtect {
            // A read-only PTE with CR0.WP set: 0xBE, as for the driver's own store.
            let violation = try #require(routineViolations(h).first)
            #expect(violation.kind == .codePageWrite && violation.deniedBy == .pageTable)
            #expect(violation.bugCheckCode == 0xBE)
            #expect(try h.memory.read(code, count: 2) == [0xB8, 0x01])
        } else {
            #expect(routineViolations(h).isEmpty)
            #expect(h.memory.events.contains(.writeProtectBypass(address: code + 1, rip: Self.callSite,
                                                                  routine: "ntoskrnl.exe!memcpy")))
            #expect(try h.memory.read(code, count: 2) == [0xB8, 0x02])
        }
    }

    @Test func aCopyAcrossCodeAndDataWritesTheDataPageOnlyInAudit() throws {
        let h = try KernelHarness(hvci: true)
        let code = try codePage(h)
        let data = try h.memory.allocate(pages: 1, owner: .imageSection(image: "test.sys", section: ".data"),
                                         at: code + 0x1000)
        try h.kernel.invoke("memset", arguments: [code + 0xFFC, 0xCC, 8])
        #expect(try h.memory.read(code + 0xFFC, count: 4) == [0, 0, 0, 0])
        #expect(try h.memory.read(data.base, count: 4) == [0xCC, 0xCC, 0xCC, 0xCC])
        #expect(routineViolations(h).count == 1)
    }

    @Test func theKernelsOwnReadOnlyStructuresAreBookkeeping() throws {
        let h = try KernelHarness(hvci: true)
        let structure = try h.memory.allocate(pages: 1, owner: .kernelStructure("read-only test"), rights: .read)
        try h.kernel.invoke("memset", arguments: [structure.base, 0x11, 4])
        #expect(try h.memory.read(structure.base, count: 4) == [0x11, 0x11, 0x11, 0x11])
        #expect(h.memory.events.isEmpty)
    }

    /// Driver code `memcpy(dst, src, 8); ret` run on the CPU, so the call goes through the
    /// trampoline as in a real run: a source that is not mapped is the driver's 0x50 at its call.
    @Test func aRoutineReadingUnmappedMemoryGivesTheDriversPageFaultAtItsCall() throws {
        let h = try KernelHarness(hvci: false)
        let memcpy = try h.kernel.resolve(module: "ntoskrnl.exe", function: "memcpy")
        let destination = try h.buffer(8)
        let unmapped: UInt64 = 0xFFFF_A000_0000_0000
        func imm64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let code = try h.code([0x48, 0x83, 0xEC, 0x28]                                  // sub rsp, 0x28
                              + [0x48, 0xB9] + imm64(destination)                     // mov rcx, destination
                              + [0x48, 0xBA] + imm64(unmapped)                        // mov rdx, unmapped
                              + [0x41, 0xB8, 8, 0, 0, 0]                              // mov r8d, 8
                              + [0x48, 0xB8] + imm64(memcpy) + [0xFF, 0xD0]           // mov rax, memcpy; call rax
                              + [0x48, 0x83, 0xC4, 0x28, 0xC3])                       // add rsp, 0x28; ret
        let returnAddress = code + 4 + 10 + 10 + 6 + 12
        _ = try? h.run(at: code)
        #expect(h.kernel.stopReason == .bugCheck(code: 0x50, parameters: [unmapped, 0, memcpy, 2], site: returnAddress))
        let fault = try #require(routineViolations(h).first)
        #expect(fault.kind == .unmapped && fault.access == .read)
        #expect(fault.rip == returnAddress)
        #expect(fault.routine == "ntoskrnl.exe!memcpy")
    }
}

/// Bug-check parameters as Microsoft's bug-check reference fills them (docs/memory-behaviour.md).
struct BugCheckParameterTests {
    private func violation(_ kind: Violation.Kind, _ access: AccessType, address: UInt64, pte: UInt64?) -> Violation {
        Violation(kind: kind, access: access, address: address, rip: 0x1_4000_1000, size: 1, pteRights: nil, slatRights: nil,
                  pfn: nil, owner: nil, frameOwner: nil, deniedBy: .slat, hvci: true, bugCheckCode: Violation.bugCheck(for: kind),
                  pteBefore: nil, pteAfter: nil, continued: false, pte: pte.map { PageTableEntry(raw: $0) })
    }

    @Test func writeAndExecuteCarryTheAddressAndThePTE() {
        #expect(violation(.codePageWrite, .write, address: 0x1_4000_1001, pte: 0x1234_5001).bugCheckParameters
                == [0x1_4000_1001, 0x1234_5001, 0, 0])
        #expect(violation(.executeNonVerified, .execute, address: 0xFFFF_B000_0000_0000, pte: 0x8000_0000_0012_3003)
                    .bugCheckParameters == [0xFFFF_B000_0000_0000, 0x8000_0000_0012_3003, 0, 0])
    }

    @Test func pageFaultCarriesAccessFlagsInstructionAndType() {
        #expect(violation(.unmapped, .read, address: 0xFFFF_A000_0000_0000, pte: 0).bugCheckParameters
                == [0xFFFF_A000_0000_0000, 0, 0x1_4000_1000, 2])
        #expect(violation(.unmapped, .write, address: 0x10, pte: 0).bugCheckParameters == [0x10, 2, 0x1_4000_1000, 2])
        #expect(violation(.unmapped, .execute, address: 0x8000_0000_0000_0000, pte: nil).bugCheckParameters
                == [0x8000_0000_0000_0000, 0x10, 0x1_4000_1000, 4])
    }

    @Test func aPTEEditIsNoBugCheck() {
        #expect(Violation.bugCheck(for: .pteTamper) == 0)
        #expect(violation(.pteTamper, .write, address: 0x1000, pte: 0).bugCheckParameters.isEmpty)
    }
}
