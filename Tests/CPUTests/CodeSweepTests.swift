import CPU
import Testing

/// The encodings QEMU aborts on (found by enumerating prefix × opcode × ModRM through Unicorn
/// 2.0.1, docs/cpu-behaviour.md), and the sweep that finds them only at instruction boundaries.
struct CodeSweepTests {
    func kind(_ bytes: [UInt8]) -> SpecialInstruction? {
        guard let length = InstructionDecoder.length(of: bytes) else { return nil }
        return bytes.withUnsafeBytes { SpecialInstruction.classify($0, length: length) }
    }

    @Test func classifiesTheEncodingsQEMUAbortsOn() {
        #expect(kind([0xFF, 0xD8]) == .farBranchRegisterOperand)
        #expect(kind([0x48, 0xFF, 0xEF]) == .farBranchRegisterOperand)
        #expect(kind([0x66, 0xFF, 0xE8]) == .farBranchRegisterOperand)
        #expect(kind([0xFF, 0x18]) == nil)  // far call through memory: valid
        #expect(kind([0xFF, 0xD0]) == nil)  // call rax
        #expect(kind([0xF0, 0x39, 0x04, 0x24]) == .lockedCompare)
        #expect(kind([0x66, 0xF0, 0xA7]) == .lockedCompare)
        #expect(kind([0x39, 0x04, 0x24]) == nil)
        #expect(kind([0xF0, 0x0F, 0xAB, 0xC0]) == .lockedRegisterBitTest)
        #expect(kind([0xF0, 0x0F, 0xBA, 0xE8, 0x01]) == .lockedRegisterBitTest)
        #expect(kind([0xF0, 0x0F, 0xAB, 0x00]) == nil)  // lock bts [rax], eax: valid
        #expect(kind([0x0F, 0x32]) == .rdmsr)
        #expect(kind([0x0F, 0x30]) == .wrmsr)
        #expect(kind([0x0F, 0x33]) == .rdpmc)
    }

    @Test func findsSitesAlongCodePathsOnly() {
        // 0x1000: mov eax, 0xD8FF0000 (FF D8 inside the immediate); jz +2; ret; ...
        // 0x1008: call far rax (reached by the jz); then data after a ret is never decoded.
        let code: [UInt8] = [0xB8, 0x00, 0x00, 0xFF, 0xD8,  // mov eax, 0xD8FF0000
                             0x74, 0x01,                    // jz 0x1008
                             0xC3,                          // ret
                             0xFF, 0xD8,                    // call far rax
                             0xFF, 0xD8]                    // unreachable: after the #UD
        let sweep = CodeSweep(regions: [.init(start: 0x1000, bytes: code)])
        let sites = sweep.sites(from: [0x1000])
        #expect(sites.map(\.address) == [0x1008])
        #expect(sites.first?.kind == .farBranchRegisterOperand)
        #expect(sweep.sites(from: [0x2000, 0x0FFF]).isEmpty)  // roots outside the code: nothing
    }

    @Test func followsCallsAndStopsAtIndirectJumps() {
        let code: [UInt8] = [0xE8, 0x03, 0x00, 0x00, 0x00,  // call 0x1008
                             0xFF, 0xE0,                    // jmp rax (indirect: stop)
                             0xCC,
                             0x0F, 0x32,                    // 0x1008: rdmsr
                             0xC3]
        let sites = CodeSweep(regions: [.init(start: 0x1000, bytes: code)]).sites(from: [0x1000])
        #expect(sites.map(\.kind) == [.rdmsr])
        #expect(sites.map(\.address) == [0x1008])
    }

    @Test func everyOffsetScanFindsWhatAComputedJumpCouldReach() {
        // The immediate's FF D8 and a prefixed far jmp and a locked compare, none on a known path.
        var region = CodeSweep.Region(start: 0x1000, bytes: [0xB8, 0x00, 0x00, 0xFF, 0xD8,  // mov eax, 0xD8FF0000
                                                             0xC3,
                                                             0x48, 0xFF, 0xEB,              // rex.w jmp far rbx
                                                             0xF0, 0x39, 0xC0,              // lock cmp eax, eax
                                                             0xFF, 0xD0,                    // call rax: valid
                                                             0xFF])                         // last byte: no ModRM
        let sites = CodeSweep.abortingSitesAtEveryOffset(in: &region)
        #expect(sites.map(\.address) == [0x1003, 0x1006, 0x1009])
        #expect(sites.map(\.kind) == [.farBranchRegisterOperand, .farBranchRegisterOperand, .lockedCompare])
        #expect(sites.first?.bytes == [0xFF, 0xD8])
        // Replaced as it went: no offset of what is left decodes to an aborting encoding.
        #expect(region.bytes == [0xB8, 0x00, 0x00, 0x0F, 0x0B, 0xC3, 0x0F, 0x0B, 0xEB, 0x0F, 0x0B, 0xC0, 0xFF, 0xD0, 0xFF])
        var again = region
        #expect(CodeSweep.abortingSitesAtEveryOffset(in: &again).isEmpty)
    }
}
