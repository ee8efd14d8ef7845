import Foundation
import Testing
@testable import CPU

/// The pure-Swift decoder against hand-written encodings and against Capstone (the oracle):
/// on every executable section of the sample drivers (and the local corpus when present),
/// and on random bytes.
@Suite struct InstructionDecoderTests {
    // MARK: Hand-written cases

    struct Case: Sendable, CustomTestStringConvertible {
        var hex: String
        var length: Int?
        var operation: DecodedInstruction.Operation = .other
        var destination: Int?
        var immediate: UInt64?
        var displacement: Int64?
        var testDescription: String { hex }
    }

    static let cases: [Case] = [
        // ALU ops, all four forms and the accumulator forms.
        Case(hex: "01c8", length: 2, operation: .add, destination: 0),                 // add eax, ecx
        Case(hex: "4801c8", length: 3, operation: .add, destination: 0),               // add rax, rcx
        Case(hex: "4c01c8", length: 3, operation: .add, destination: 0),               // add rax, r9 (REX.R is the source)
        Case(hex: "4901c8", length: 3, operation: .add, destination: 8),               // add r8, rcx
        Case(hex: "2b4810", length: 3, operation: .sub, destination: 1, displacement: 0x10),  // sub ecx, [rax+0x10]
        Case(hex: "3d04202200", length: 5, operation: .cmp, destination: 0, immediate: 0x222004),
        Case(hex: "483d04202200", length: 6, operation: .cmp, destination: 0, immediate: 0x222004),
        Case(hex: "483dfcdfddff", length: 6, operation: .cmp, destination: 0, immediate: 0xFFFF_FFFF_FFDD_DFFC),
        Case(hex: "663d3412", length: 4, operation: .cmp, destination: 0, immediate: 0x1234),
        Case(hex: "2c05", length: 2, operation: .sub, destination: 0, immediate: 5),   // sub al, 5
        Case(hex: "0c05", length: 2),                                                     // or al, 5
        // Group 1.
        Case(hex: "81f904202200", length: 6, operation: .cmp, destination: 1, immediate: 0x222004),
        Case(hex: "4181f804202200", length: 7, operation: .cmp, destination: 8, immediate: 0x222004),
        Case(hex: "83f8ff", length: 3, operation: .cmp, destination: 0, immediate: 0xFFFF_FFFF),
        Case(hex: "4883c0ff", length: 4, operation: .add, destination: 0, immediate: UInt64.max),
        Case(hex: "6683e810", length: 4, operation: .sub, destination: 0, immediate: 0x10),
        Case(hex: "80f980", length: 3, operation: .cmp, destination: 1, immediate: 0x80),
        Case(hex: "817c240804202200", length: 8, operation: .cmp, immediate: 0x222004, displacement: 8),
        Case(hex: "8325aaaaaaaa00", length: 7),                                           // and [rip+..], 0
        Case(hex: "82c001", length: nil),                                                 // 82 is invalid in 64-bit mode
        // MOV forms.
        Case(hex: "8bc1", length: 2, operation: .mov, destination: 0),
        Case(hex: "4c8bc1", length: 3, operation: .mov, destination: 8),                // mov r8, rcx
        Case(hex: "88e0", length: 2, operation: .mov, destination: 0),                  // mov al, ah
        Case(hex: "b904202200", length: 5, operation: .mov, destination: 1, immediate: 0x222004),
        Case(hex: "41b904202200", length: 6, operation: .mov, destination: 9, immediate: 0x222004),
        Case(hex: "48b80807060504030201", length: 10, operation: .mov, destination: 0, immediate: 0x0102_0304_0506_0708),
        Case(hex: "66b83412", length: 4, operation: .mov, destination: 0, immediate: 0x1234),
        Case(hex: "b480", length: 2, operation: .mov, destination: 4, immediate: 0x80),  // mov ah, 0x80
        Case(hex: "c7442430ffffffff", length: 8, operation: .mov, immediate: 0xFFFF_FFFF, displacement: 0x30),
        Case(hex: "48c7c0ffffffff", length: 7, operation: .mov, destination: 0, immediate: UInt64.max),
        Case(hex: "66c7c03412", length: 5, operation: .mov, destination: 0, immediate: 0x1234),
        Case(hex: "c60001", length: 3, operation: .mov, immediate: 1),
        Case(hex: "a1efcdab8967452301", length: 9, operation: .mov, destination: 0, displacement: 0x0123_4567_89AB_CDEF),
        Case(hex: "67a178563412", length: 6, operation: .mov, destination: 0, displacement: 0x1234_5678),
        Case(hex: "a2efcdab8967452301", length: 9, operation: .mov, displacement: 0x0123_4567_89AB_CDEF),
        Case(hex: "488b0504000000", length: 7, operation: .mov, destination: 0, displacement: 4),
        Case(hex: "8b042504202200", length: 7, operation: .mov, destination: 0, displacement: 0x222004),
        Case(hex: "0f20c0", length: 3, operation: .mov, destination: 0),                // mov rax, cr0
        Case(hex: "0f2040", length: 3, operation: .mov, destination: 0),                // mod is ignored
        Case(hex: "0f22d8", length: 3, operation: .mov),                                  // mov cr3, rax
        // LEA.
        Case(hex: "8d8100e0ffff", length: 6, operation: .lea, destination: 0, displacement: -0x2000),
        Case(hex: "488d0d00000000", length: 7, operation: .lea, destination: 1, displacement: 0),
        Case(hex: "4e8d04c8", length: 4, operation: .lea, destination: 8),              // lea r8, [rax+r9*8]
        Case(hex: "8dc0", length: nil),                                                   // LEA needs memory
        // ModRM / SIB / displacement sizes.
        Case(hex: "8b0424", length: 3, operation: .mov, destination: 0),
        Case(hex: "8b442408", length: 4, operation: .mov, destination: 0, displacement: 8),
        Case(hex: "8b8424f0ffffff", length: 7, operation: .mov, destination: 0, displacement: -16),
        Case(hex: "8b04c5f0ffffff", length: 7, operation: .mov, destination: 0, displacement: -16),  // no base
        Case(hex: "8b45f0", length: 3, operation: .mov, destination: 0, displacement: -16),
        // Prefixes.
        Case(hex: "f0480fb10a", length: 5),                                               // lock cmpxchg [rdx], rcx
        Case(hex: "65488b042588010000", length: 9, operation: .mov, destination: 0, displacement: 0x188),
        Case(hex: "f3a4", length: 2),
        Case(hex: "66662e0f1f840000000000", length: 11),                                  // long NOP
        Case(hex: "41662d1122", length: 5, operation: .sub, destination: 0, immediate: 0x2211),  // REX before 66 is dropped
        Case(hex: "666666666666666666666666666690", length: 15),
        Case(hex: "66666666666666666666666666666690", length: nil),                     // 16 bytes
        // Group 3, ENTER, RET imm16, branches.
        Case(hex: "f6c111", length: 3), Case(hex: "f6c811", length: 3), Case(hex: "f6d1", length: 2),
        Case(hex: "f7c111223344", length: 6), Case(hex: "66f7c11122", length: 5), Case(hex: "f7d1", length: 2),
        Case(hex: "48f7c1ffffffff", length: 7),
        Case(hex: "c8100001", length: 4), Case(hex: "c21000", length: 3), Case(hex: "ca1000", length: 3),
        Case(hex: "e800000000", length: 5), Case(hex: "e9ffffffff", length: 5), Case(hex: "66e800000000", length: 6),
        Case(hex: "eb00", length: 2), Case(hex: "7410", length: 2), Case(hex: "e3fe", length: 2),
        Case(hex: "0f8400000000", length: 6), Case(hex: "cd29", length: 2), Case(hex: "6a08", length: 2),
        Case(hex: "6800100000", length: 5), Case(hex: "69c000100000", length: 6), Case(hex: "6bc010", length: 3),
        // Two- and three-byte maps.
        Case(hex: "0f05", length: 2), Case(hex: "0f0b", length: 2), Case(hex: "0f01f8", length: 3),
        Case(hex: "0fa2", length: 2), Case(hex: "0fbae105", length: 4), Case(hex: "0fa4c105", length: 4),
        Case(hex: "0fc8", length: 2), Case(hex: "490fc8", length: 3), Case(hex: "0f1f440000", length: 5),
        Case(hex: "f30f1efa", length: 4), Case(hex: "660f3a0fc108", length: 6), Case(hex: "660f3800c1", length: 5),
        Case(hex: "66410f3a16c001", length: 7), Case(hex: "0f0fc00d", length: 4),       // 3DNow! pi2fd
        Case(hex: "0f78c0", length: 3), Case(hex: "660f78c00102", length: 6), Case(hex: "f20f78c10102", length: 6),
        Case(hex: "f30fb8c0", length: 4), Case(hex: "0fb8c0", length: nil), Case(hex: "0fffc0", length: 3),
        Case(hex: "0f70c011", length: 4), Case(hex: "0fc2c001", length: 4), Case(hex: "0f18", length: nil),
        // VEX, EVEX, XOP.
        Case(hex: "c5f877", length: 3), Case(hex: "c4e17877", length: 4), Case(hex: "c5f9efc0", length: 4),
        Case(hex: "c4e3790fc001", length: 6), Case(hex: "c4e27d5800", length: 5), Case(hex: "c5f970c000", length: 5),
        Case(hex: "c4e0790fc001", length: nil), Case(hex: "48c5f877", length: nil),
        Case(hex: "62f17c4810c0", length: 6), Case(hex: "62f17c48104001", length: 7),
        Case(hex: "62f37d0819c001", length: 7), Case(hex: "62f1780810c0", length: nil),
        Case(hex: "8fe878a2c010", length: 6), Case(hex: "8fe97880c0", length: 5), Case(hex: "8fea7810c000000000", length: 9),
        Case(hex: "8fc0", length: 2), Case(hex: "8fc8", length: nil),
        // Invalid in 64-bit mode.
        Case(hex: "06", length: nil), Case(hex: "07", length: nil), Case(hex: "0e", length: nil), Case(hex: "16", length: nil),
        Case(hex: "17", length: nil), Case(hex: "1e", length: nil), Case(hex: "1f", length: nil), Case(hex: "27", length: nil),
        Case(hex: "2f", length: nil), Case(hex: "37", length: nil), Case(hex: "3f", length: nil), Case(hex: "60", length: nil),
        Case(hex: "61", length: nil), Case(hex: "9a0000000000", length: nil), Case(hex: "ce", length: nil),
        Case(hex: "d40a", length: nil), Case(hex: "d50a", length: nil), Case(hex: "d6", length: nil),
        Case(hex: "ea000000000000", length: nil), Case(hex: "fff8", length: nil), Case(hex: "fed0", length: nil),
        // Truncated.
        Case(hex: "", length: nil), Case(hex: "48", length: nil), Case(hex: "b8112233", length: nil),
        Case(hex: "8b84", length: nil), Case(hex: "0f", length: nil), Case(hex: "c4e179", length: nil),
    ]

    @Test(arguments: cases) func decodesKnownEncoding(_ c: Case) {
        let bytes = Self.bytes(c.hex)
        let decoded = InstructionDecoder.decode(bytes)
        #expect(decoded?.length == c.length)
        #expect(InstructionDecoder.length(of: bytes) == c.length)
        guard let decoded, c.length != nil else { return }
        #expect(decoded.operation == c.operation)
        if c.operation != .other {
            #expect(decoded.destinationRegister == c.destination)
            #expect(decoded.immediate == c.immediate)
            #expect(decoded.displacement ?? 0 == c.displacement ?? 0)
        }
    }

    @Test func reportsHighByteRegistersAndRIPRelative() throws {
        let movAH = try #require(InstructionDecoder.decode(Self.bytes("b480")))
        #expect(movAH.isHighByteRegister && movAH.operandSize == 1)
        let movSPL = try #require(InstructionDecoder.decode(Self.bytes("40b480")))
        #expect(!movSPL.isHighByteRegister && movSPL.destinationRegister == 4)
        let rip = try #require(InstructionDecoder.decode(Self.bytes("488b0504000000")))
        #expect(rip.isRIPRelative && !rip.isAbsoluteAddress && rip.operandSize == 8)
        let absolute = try #require(InstructionDecoder.decode(Self.bytes("8b042504202200")))
        #expect(absolute.isAbsoluteAddress && !absolute.isRIPRelative)
    }

    // MARK: Memory operands

    struct MemoryCase: Sendable, CustomTestStringConvertible {
        var hex: String
        var base: Int?
        var index: Int?
        var scale = 1
        var displacement: Int64 = 0
        var rip = false
        var segment: MemoryOperand.Segment?
        var address32 = false
        var access: DecodedInstruction.MemoryAccess
        var testDescription: String { hex }
    }

    static let memoryCases: [MemoryCase] = [
        MemoryCase(hex: "488903", base: 3, access: .write),                            // mov [rbx], rax
        MemoryCase(hex: "488b03", base: 3, access: .read),                             // mov rax, [rbx]
        MemoryCase(hex: "4a8b44c810", base: 0, index: 9, scale: 8, displacement: 0x10, access: .read),  // mov rax, [rax+r9*8+0x10]
        MemoryCase(hex: "42890424", base: 4, index: 12, access: .write),               // mov [rsp+r12], eax (REX.X: index 100b is r12)
        MemoryCase(hex: "890424", base: 4, access: .write),                            // mov [rsp], eax
        MemoryCase(hex: "41894500", base: 13, access: .write),                         // mov [r13+0], eax
        MemoryCase(hex: "890425efbeadde", displacement: -0x2152_4111, access: .write), // mov [0xdeadbeef], eax (sign-extended)
        MemoryCase(hex: "c705f8ffffff01000000", displacement: -8, rip: true, access: .write),
        MemoryCase(hex: "65488b042588010000", displacement: 0x188, segment: .gs, access: .read),
        MemoryCase(hex: "6467890e", base: 6, segment: .fs, address32: true, access: .write),  // mov fs:[esi], ecx
        MemoryCase(hex: "833800", base: 0, access: .read),                             // cmp dword [rax], 0
        MemoryCase(hex: "833001", base: 0, access: .write),                            // xor dword [rax], 1
        MemoryCase(hex: "f0480fb10a", base: 2, access: .write),                        // lock cmpxchg [rdx], rcx
        MemoryCase(hex: "0f9400", base: 0, access: .write),                            // sete [rax]
        MemoryCase(hex: "ff10", base: 0, access: .read),                               // call [rax]
        MemoryCase(hex: "488d0c8500000000", index: 0, scale: 4, access: .none),        // lea rcx, [rax*4]
        MemoryCase(hex: "0f1100", base: 0, access: .write),                            // movups [rax], xmm0
        MemoryCase(hex: "0f1000", base: 0, access: .read),                             // movups xmm0, [rax]
        MemoryCase(hex: "c5fc2900", base: 0, access: .write),                          // vmovaps [rax], ymm0
        MemoryCase(hex: "c4c17c2803", base: 11, access: .read),                        // vmovaps ymm0, [r11]
        MemoryCase(hex: "f30f7e00", base: 0, access: .read),
        MemoryCase(hex: "642e0a00", base: 0, access: .read),                           // or al, cs:[rax] (the last override counts)
        MemoryCase(hex: "2e640a00", base: 0, segment: .fs, access: .read),             // or al, fs:[rax]                           // movq xmm0, [rax]
        MemoryCase(hex: "660f7e00", base: 0, access: .write),                          // movd [rax], xmm0
        MemoryCase(hex: "0fc300", base: 0, access: .write),                            // movnti [rax], eax
        MemoryCase(hex: "0fae00", base: 0, access: .mayWrite),                         // fxsave [rax]
        MemoryCase(hex: "a1efcdab8967452301", displacement: 0x0123_4567_89AB_CDEF, access: .read),
        MemoryCase(hex: "a3efcdab8967452301", displacement: 0x0123_4567_89AB_CDEF, access: .write),
    ]

    @Test(arguments: memoryCases) func decodesMemoryOperand(_ c: MemoryCase) throws {
        let decoded = try #require(InstructionDecoder.decode(Self.bytes(c.hex)))
        let memory = try #require(decoded.memoryOperand)
        #expect(memory.base == c.base)
        #expect(memory.index == c.index)
        #expect(memory.scale == c.scale)
        #expect(memory.displacement == c.displacement)
        #expect(memory.isRIPRelative == c.rip)
        #expect(memory.segment == c.segment)
        #expect(memory.addressSize32 == c.address32)
        #expect(decoded.memoryAccess == c.access)
    }

    @Test func reportsKindsStringOperandsAndRegisterForms() throws {
        func decode(_ hex: String) throws -> DecodedInstruction { try #require(InstructionDecoder.decode(Self.bytes(hex))) }
        for hex in ["50", "4157", "ff30", "6a08", "6800100000", "9c", "0fa0", "0fa8"] {
            #expect(try decode(hex).kind == .push, "\(hex)")
        }
        for hex in ["e800000000", "ffd0", "ff10", "ff18"] { #expect(try decode(hex).kind == .call, "\(hex)") }
        for hex in ["e900000000", "eb00", "ffe0", "ff20", "ff28"] { #expect(try decode(hex).kind == .jump, "\(hex)") }
        for hex in ["c3", "c21000", "cb"] { #expect(try decode(hex).kind == .ret, "\(hex)") }
        #expect(try decode("f4").kind == .halt)
        #expect(try decode("7400").kind == .plain && decode("ffc0").kind == .plain)
        #expect(try decode("f3a4").stringOperands == [.readsSource, .writesDestination])
        #expect(try decode("f348ab").stringOperands == .writesDestination)
        #expect(try decode("ac").stringOperands == .readsSource)
        #expect(try decode("f2ae").stringOperands == .readsDestination)
        #expect(try decode("a6").stringOperands == [.readsSource, .readsDestination])
        #expect(try decode("65a4").segmentOverride == .gs)
        #expect(try decode("67aa").addressSize32)
        #expect(try decode("f3a4").memoryOperand == nil && decode("f3a4").memoryAccess == .none)
        // Register forms and MOV CRn (mod ignored) have no memory operand.
        #expect(try decode("4889c3").memoryOperand == nil)
        #expect(try decode("0f2040").memoryOperand == nil)
        // VSIB and EVEX disp8*N: no single address.
        let gather = try decode("c4e2759204c8")  // vgatherdpd ymm0, [rax+xmm1*8], ymm1
        #expect(gather.memoryOperand?.hasVectorIndex == true)
        #expect(gather.memoryOperand?.effectiveAddress(instructionEnd: 0, register: { _ in 0 }, segmentBase: { _ in 0 }) == nil)
        #expect(try decode("62f17c48104001").memoryOperand?.hasCompressedDisplacement == true)
    }

    @Test func computesEffectiveAddresses() throws {
        let registers: [UInt64] = (0..<16).map { 0x1000 * UInt64($0 + 1) }
        func address(_ hex: String, at end: UInt64 = 0x5000) throws -> UInt64? {
            let memory = try #require(InstructionDecoder.decode(Self.bytes(hex))?.memoryOperand)
            return memory.effectiveAddress(instructionEnd: end, register: { registers[$0] },
                                           segmentBase: { $0 == .gs ? 0xFFFF_F800_0000_0000 : 0x7000_0000 })
        }
        #expect(try address("4a8b44c810") == 0x1000 + 0xA000 * 8 + 0x10)
        #expect(try address("c705f8ffffff01000000", at: 0x140001000) == 0x140001000 - 8)
        #expect(try address("65488b042588010000") == 0xFFFF_F800_0000_0188)
        #expect(try address("6467890e") == 0x7000_0000 + 0x7000)
        // 67h: the sum wraps at 32 bits before the segment base is added.
        #expect(try address("678b80ffffffff") == 0x0FFF)  // mov eax, [eax - 1]
    }

    /// Every instruction of the sample drivers' (and the corpus') code: the memory operand's
    /// base, index, scale, displacement, RIP-relative flag, FS/GS override and address size
    /// agree with Capstone's operand text, and no instruction whose first operand Capstone
    /// shows as memory is called read-only unless its mnemonic only reads.
    @Test func memoryOperandsAgreeWithCapstoneOnDriverCode() throws {
        let disassembler = try Disassembler()
        var files = Self.driverFiles(in: Self.packageRoot.appendingPathComponent("Samples/bin"))
        files += Self.driverFiles(in: Self.packageRoot.appendingPathComponent(".corpus/drivers"))
        var instructions = 0, withMemory = 0, mismatches: [String] = [], readOnlyDestinations: [String: Int] = [:]
        var accessCounts: [DecodedInstruction.MemoryAccess: Int] = [:]
        for file in files {
            guard let image = try? [UInt8](Data(contentsOf: file)) else { continue }
            for section in Self.executableSections(of: image) {
                var offset = section.lowerBound
                while offset < section.upperBound {
                    let window = Array(image[offset..<min(offset + 15, section.upperBound)])
                    guard let insn = disassembler.decode(window, at: UInt64(offset)) else { offset += 1; continue }
                    offset += insn.length
                    guard let decoded = InstructionDecoder.decode(window), decoded.length == insn.length else { continue }
                    instructions += 1
                    if decoded.memoryOperand != nil { withMemory += 1; accessCounts[decoded.memoryAccess, default: 0] += 1 }
                    if let problem = Self.memoryMismatch(decoded, insn) {
                        mismatches.append("\(file.lastPathComponent)+\(String(insn.address, radix: 16)): \(Self.hex(insn.bytes)) \(insn.text): \(problem)")
                    }
                    let first = insn.operands.split(separator: ",").first ?? ""
                    if decoded.memoryOperand != nil, decoded.memoryAccess == .read || decoded.memoryAccess == .none,
                       first.contains("["),
                       !Self.readOnlyMnemonics.contains(Self.bareMnemonic(insn.mnemonic)) {
                        readOnlyDestinations[insn.mnemonic, default: 0] += 1
                    }
                }
            }
        }
        print("Memory operands vs Capstone on \(files.count) drivers: \(instructions) instructions, \(withMemory) with a "
              + "memory operand (\(accessCounts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))), "
              + "\(mismatches.count) mismatches")
        for line in mismatches.prefix(40) { print("  " + line) }
        for (mnemonic, count) in readOnlyDestinations { print("  read-only with a memory destination: \(mnemonic) ×\(count)") }
        #expect(instructions > 1000)
        #expect(mismatches.isEmpty)
        #expect(readOnlyDestinations.isEmpty)
    }

    /// Mnemonics whose first operand, when memory, is only read (or not accessed).
    static let readOnlyMnemonics: Set<String> = [
        "cmp", "test", "push", "call", "jmp", "lcall", "ljmp", "bt", "nop", "prefetch", "prefetchw",
        "prefetcht0", "prefetcht1", "prefetcht2", "prefetchnta", "ucomiss", "ucomisd", "comiss", "comisd",
        "mul", "imul", "div", "idiv", "lldt", "ltr", "verr", "verw",
    ]

    static func bareMnemonic(_ mnemonic: String) -> String {
        var words = mnemonic.split(separator: " ")
        while let first = words.first, ["lock", "rep", "repne", "repe", "bnd", "notrack"].contains(first), words.count > 1 {
            words.removeFirst()
        }
        return words.joined(separator: " ")
    }

    static let registerNumbers: [String: Int] = {
        var numbers: [String: Int] = [:]
        for (n, name) in ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"].enumerated() { numbers[name] = n }
        for (n, name) in ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"].enumerated() { numbers[name] = n }
        for n in 8...15 { numbers["r\(n)"] = n; numbers["r\(n)d"] = n }
        return numbers
    }()

    /// Compares the decoded memory operand with Capstone's "seg:[base + index*scale + disp]".
    static func memoryMismatch(_ decoded: DecodedInstruction, _ insn: Instruction) -> String? {
        let text = insn.operands
        let isString = !decoded.stringOperands.isEmpty
        guard let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") else {
            return decoded.memoryOperand == nil ? nil : "memory operand Capstone does not show"
        }
        if isString { return decoded.memoryOperand == nil ? nil : "string instruction with an explicit operand" }
        if insn.mnemonic.hasPrefix("xlat") { return nil }
        guard let memory = decoded.memoryOperand else { return "no memory operand" }
        let prefix = text[..<open]
        let segment: MemoryOperand.Segment? = prefix.hasSuffix("fs:") ? .fs : prefix.hasSuffix("gs:") ? .gs : nil
        var base: Int?, index: Int?, scale = 1, displacement: Int64 = 0, rip = false, address32 = false, vector = false
        var sign: Int64 = 1
        for token in text[text.index(after: open)..<close].split(separator: " ") {
            if token == "+" { sign = 1; continue }
            if token == "-" { sign = -1; continue }
            if let star = token.firstIndex(of: "*") {
                let name = String(token[..<star])
                scale = Int(token[token.index(after: star)...]) ?? 0
                if let n = registerNumbers[name] { index = n; address32 = address32 || name.hasPrefix("e") || name.hasSuffix("d") }
                else if name.hasPrefix("xmm") || name.hasPrefix("ymm") || name.hasPrefix("zmm") { vector = true; index = (Int(name.dropFirst(3)) ?? 0) & 15 }
                else { return "unparsed index \(token)" }
            } else if token == "rip" || token == "eip" {
                rip = true
                address32 = address32 || token == "eip"
            } else if let n = registerNumbers[String(token)] {
                // A register without a scale: the base, or (second register) the index with scale 1.
                if base == nil, index == nil { base = n } else { index = n }
                address32 = address32 || token.hasPrefix("e") || token.hasSuffix("d")
            } else if token.hasPrefix("xmm") || token.hasPrefix("ymm") || token.hasPrefix("zmm") {
                vector = true; index = (Int(token.dropFirst(3)) ?? 0) & 15
            } else if let value = number(String(token)) {
                displacement = sign * value
            } else {
                return "unparsed \(token)"
            }
        }
        // Capstone shows a SIB index with scale 1 and no base as "[reg + disp]", like a base.
        if base != nil, index == nil, memory.base == nil, memory.index == base, memory.scale == 1 {
            index = base
            base = nil
        }
        var actual = memory.displacement
        if decoded.isAbsoluteAddress, base == nil, index == nil, !rip, decoded.length < 9, actual != displacement {
            actual = Int64(UInt32(truncatingIfNeeded: actual))  // Capstone shows [disp32] unsigned (or sign-extended)
        }
        var problems: [String] = []
        if memory.base != base { problems.append("base \(memory.base.map { "\($0)" } ?? "none")") }
        if memory.index != index { problems.append("index \(memory.index.map { "\($0)" } ?? "none")") }
        if index != nil, memory.scale != scale { problems.append("scale \(memory.scale)") }
        if !memory.hasCompressedDisplacement, actual != displacement { problems.append("displacement \(memory.displacement)") }
        if memory.isRIPRelative != rip { problems.append("rip \(memory.isRIPRelative)") }
        if memory.segment != segment { problems.append("segment \(memory.segment.map { "\($0)" } ?? "none")") }
        if (base != nil || index != nil || rip), memory.addressSize32 != address32 { problems.append("address size 32 \(memory.addressSize32)") }
        if memory.hasVectorIndex != vector { problems.append("vector index \(memory.hasVectorIndex)") }
        return problems.isEmpty ? nil : problems.joined(separator: ", ")
    }

    // MARK: Against Capstone

    /// Every executable section of the sample drivers (and .corpus/drivers when present),
    /// decoded linearly with Capstone: lengths agree on every instruction Capstone decodes,
    /// and for add/sub/cmp/mov/lea the operation, immediate and displacement agree.
    @Test func agreesWithCapstoneOnDriverCode() throws {
        let disassembler = try Disassembler()
        var files = Self.driverFiles(in: Self.packageRoot.appendingPathComponent("Samples/bin"))
        files += Self.driverFiles(in: Self.packageRoot.appendingPathComponent(".corpus/drivers"))
        #expect(!files.isEmpty)
        var instructions = 0, lengthMismatches: [String] = [], fieldMismatches: [String] = []
        for file in files {
            guard let image = try? [UInt8](Data(contentsOf: file)) else { continue }
            for section in Self.executableSections(of: image) {
                var offset = section.lowerBound
                while offset < section.upperBound {
                    let window = Array(image[offset..<min(offset + 15, section.upperBound)])
                    guard let insn = disassembler.decode(window, at: UInt64(offset)) else { offset += 1; continue }
                    instructions += 1
                    let decoded = InstructionDecoder.decode(window)
                    if decoded?.length != insn.length {
                        lengthMismatches.append("\(file.lastPathComponent)+\(String(offset, radix: 16)): \(Self.hex(insn.bytes)) \(insn.text) → \(decoded.map { "\($0.length)" } ?? "nil")")
                    } else if let decoded, let problem = Self.fieldMismatch(decoded, insn) {
                        fieldMismatches.append("\(file.lastPathComponent)+\(String(offset, radix: 16)): \(Self.hex(insn.bytes)) \(insn.text): \(problem)")
                    }
                    offset += insn.length
                }
            }
        }
        print("InstructionDecoder vs Capstone on \(files.count) drivers: \(instructions) instructions, "
              + "\(lengthMismatches.count) length and \(fieldMismatches.count) field mismatches")
        for line in (lengthMismatches + fieldMismatches).prefix(40) { print("  " + line) }
        #expect(instructions > 1000)
        #expect(lengthMismatches.isEmpty)
        #expect(fieldMismatches.isEmpty)
    }

    /// Random bytes: wherever Capstone decodes an instruction the lengths agree (the
    /// remaining differences are Capstone quirks, see `knownCapstoneDifference`), where they
    /// agree so do the memory operands (`memoryMismatch`), and the decoder never traps, on
    /// every truncation of every sequence.
    @Test func agreesWithCapstoneOnRandomBytes() throws {
        let disassembler = try Disassembler()
        var rng = SplitMix64(seed: 0x4856_4349_5349_4D21)
        var decodedByCapstone = 0, agreeing = 0, explained = 0, plainDecoded = 0, plainAgreeing = 0
        var unexplained: [String] = [], classes: [String: Int] = [:], overlong = 0, inconsistent = 0
        var memoryMismatches: [String] = []
        // Plain random bytes, then random bytes behind the escape and prefix bytes random
        // sequences rarely produce, so the 0F/0F38/0F3A maps, VEX, EVEX and XOP get exercised.
        let leads: [[UInt8]] = [[], [0x0F], [0x0F, 0x38], [0x0F, 0x3A], [0xC4], [0xC5], [0x62], [0x8F], [0x66, 0x0F], [0xF3, 0x0F], [0xF2, 0x0F]]
        for round in 0..<200_000 + 11 * 5_000 {
            var bytes = round < 200_000 ? [] : leads[(round - 200_000) / 5_000]
            while bytes.count < 15 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            let decoded = InstructionDecoder.decode(bytes)
            // Never traps, and never claims more bytes than it was given.
            for count in 0...15 {
                let length = bytes.withUnsafeBytes { InstructionDecoder.length(of: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                if let length, length > count { overlong += 1 }
                if count == 15, length != decoded?.length { inconsistent += 1 }
            }
            guard let insn = disassembler.decode(bytes, at: 0x1000) else { continue }
            decodedByCapstone += 1
            if round < 200_000 { plainDecoded += 1 }
            if let decoded, decoded.length == insn.length {
                agreeing += 1
                if round < 200_000 { plainAgreeing += 1 }
                if let problem = Self.memoryMismatch(decoded, insn) {
                    memoryMismatches.append("\(Self.hex(insn.bytes)) \(insn.text): \(problem)")
                }
                continue
            }
            if let reason = Self.knownCapstoneDifference(bytes) {
                explained += 1
                classes[reason, default: 0] += 1
            } else {
                unexplained.append("\(Self.hex(insn.bytes)) \(insn.text) → \(decoded.map { "\($0.length)" } ?? "nil")")
            }
        }
        let rate = Double(agreeing) / Double(decodedByCapstone)
        let plainRate = Double(plainAgreeing) / Double(plainDecoded)
        print("InstructionDecoder vs Capstone on random bytes: plain \(plainAgreeing)/\(plainDecoded) lengths agree "
              + "(\(String(format: "%.4f", plainRate * 100))%); with escape/VEX/EVEX/XOP leads included "
              + "\(agreeing)/\(decodedByCapstone) (\(String(format: "%.4f", rate * 100))%); "
              + "\(explained) known Capstone quirks, \(unexplained.count) other")
        for (reason, count) in classes.sorted(by: { $0.value > $1.value }) { print("  \(count)× \(reason)") }
        for line in unexplained.prefix(40) { print("  " + line) }
        print("  memory operands: \(memoryMismatches.count) differ from Capstone's text")
        for line in memoryMismatches.prefix(40) { print("  " + line) }
        #expect(plainRate >= 0.999)
        #expect(rate >= 0.99)
        #expect(unexplained.isEmpty)
        #expect(overlong == 0 && inconsistent == 0)
        #expect(memoryMismatches.isEmpty)
    }

    /// Every opcode of the one-byte map, the 0F map and the 66h/F2h/F3h 0F maps, with every
    /// second byte (ModRM, or the next opcode byte) and a random tail: lengths agree with
    /// Capstone wherever it decodes, except for the documented quirks.
    @Test func agreesWithCapstoneOnEveryOpcodeAndModRM() throws {
        let disassembler = try Disassembler()
        var rng = SplitMix64(seed: 0x0F0F_3838_3A3A_C4C5)
        var decodedByCapstone = 0, agreeing = 0, unexplained: [String] = [], classes: [String: Int] = [:]
        for lead: [UInt8] in [[], [0x0F], [0x66, 0x0F], [0xF3, 0x0F], [0xF2, 0x0F], [0x48], [0x66]] {
            for first in 0...255 {
                for second in 0...255 {
                    var bytes = lead + [UInt8(first), UInt8(second)]
                    while bytes.count < 15 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
                    guard let insn = disassembler.decode(bytes, at: 0x1000) else { continue }
                    decodedByCapstone += 1
                    let length = InstructionDecoder.length(of: bytes)
                    if length == insn.length { agreeing += 1 }
                    else if let reason = Self.knownCapstoneDifference(bytes) { classes[reason, default: 0] += 1 }
                    else {
                        unexplained.append("\(Self.hex(insn.bytes)) \(insn.text) → \(length.map { "\($0)" } ?? "nil")")
                    }
                }
            }
        }
        print("InstructionDecoder vs Capstone on every opcode × second byte: \(agreeing)/\(decodedByCapstone) lengths agree, "
              + "\(unexplained.count) unexplained")
        for (reason, count) in classes.sorted(by: { $0.value > $1.value }) { print("  \(count)× \(reason)") }
        for line in unexplained.prefix(40) { print("  " + line) }
        #expect(unexplained.isEmpty)
    }

    /// Classes where Capstone 4 and the Intel SDM disagree; the decoder follows the SDM.
    static func knownCapstoneDifference(_ bytes: [UInt8]) -> String? {
        var i = 0, has66 = false, has67 = false, hasRepeat = false, repeatAfter66 = false, rex: UInt8 = 0
        while i < bytes.count, [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3].contains(bytes[i]) || bytes[i] & 0xF0 == 0x40 {
            switch bytes[i] {
            case 0x66: has66 = true
            case 0x67: has67 = true
            case 0xF2, 0xF3: hasRepeat = true; repeatAfter66 = repeatAfter66 || has66
            default: break
            }
            rex = bytes[i] & 0xF0 == 0x40 ? bytes[i] : 0
            i += 1
        }
        guard i < bytes.count else { return nil }
        let opcode = bytes[i], next = i + 1 < bytes.count ? bytes[i + 1] : 0
        let nearBranch = opcode == 0xE8 || opcode == 0xE9 || (opcode == 0x0F && next & 0xF0 == 0x80)
        if has66, nearBranch {
            return "66h near CALL/JMP/Jcc: Capstone takes rel16 (AMD); Intel 64 ignores 66h, rel32"
        }
        if has67, rex & 0x08 != 0, nearBranch {
            return "67h + REX.W near CALL/JMP: Capstone takes rel16; the SDM keeps rel32"
        }
        if has66, rex & 0x08 != 0, opcode == 0xC2 || opcode == 0xCA {
            return "66h + REX.W RET imm16: Capstone reads 4 immediate bytes; the SDM: always imm16"
        }
        if repeatAfter66, opcode == 0x68 {
            return "66h then F2h/F3h before PUSH imm: Capstone drops 66h (imm32); the SDM: imm16"
        }
        if opcode == 0x0F, next == 0xFF || next == 0xB9 {
            return "0F FF UD0 / 0F B9 UD1: Capstone takes no ModRM; the SDM gives UDn r32, r/m32"
        }
        if (has66 || hasRepeat), opcode == 0xC4 || opcode == 0xC5 || opcode == 0x62 || opcode == 0x8F {
            return "66h/F2h/F3h before VEX/EVEX/XOP: #UD by the SDM, Capstone decodes it"
        }
        return nil
    }

    // MARK: Helpers

    static func fieldMismatch(_ decoded: DecodedInstruction, _ insn: Instruction) -> String? {
        let expected: DecodedInstruction.Operation
        // Capstone folds a LOCK prefix into the mnemonic ("lock add").
        let mnemonic = insn.mnemonic.hasPrefix("lock ") ? String(insn.mnemonic.dropFirst(5)) : insn.mnemonic
        switch mnemonic {
        case "add": expected = .add
        case "sub": expected = .sub
        case "cmp": expected = .cmp
        case "mov", "movabs": expected = .mov
        case "lea": expected = .lea
        default: expected = .other
        }
        guard decoded.operation == expected else { return "operation \(decoded.operation)" }
        guard expected != .other else { return nil }
        let operands = insn.operands.components(separatedBy: ", ")
        // The immediate is the last operand when it is a number (Capstone prints it hex, or signed).
        if let last = operands.last, operands.count > 1, let value = number(last) {
            let mask: UInt64 = decoded.operandSize >= 8 ? .max : (1 << UInt64(decoded.operandSize * 8)) - 1
            if decoded.immediate != UInt64(bitPattern: value) & mask {
                return "immediate \(decoded.immediate.map { String($0, radix: 16) } ?? "nil")"
            }
        } else if decoded.immediate != nil {
            return "unexpected immediate"
        }
        // The displacement: "[base + index*s + 0x10]", "[rip - 8]", "[0x1234]".
        if let open = insn.operands.firstIndex(of: "["), let close = insn.operands.firstIndex(of: "]") {
            let inside = insn.operands[insn.operands.index(after: open)..<close].components(separatedBy: " ")
            var shown: Int64 = 0
            if inside.count == 1, let value = number(inside[0]) {
                shown = value
            } else if inside.count >= 3, let value = number(inside[inside.count - 1]) {
                shown = inside[inside.count - 2] == "-" ? -value : value
            }
            var actual = decoded.displacement ?? 0
            if decoded.isAbsoluteAddress, inside.count == 1, decoded.length < 9 {
                actual = Int64(UInt32(truncatingIfNeeded: actual))  // Capstone shows [disp32] unsigned
            }
            if actual != shown { return "displacement \(decoded.displacement.map { String($0) } ?? "nil")" }
        }
        return nil
    }

    /// "0x1f", "-0x1f", "12", "-3" → value; anything else → nil.
    static func number(_ text: String) -> Int64? {
        var text = Substring(text)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        let magnitude = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text, radix: 10)
        guard let magnitude else { return nil }
        return negative ? -Int64(bitPattern: magnitude) : Int64(bitPattern: magnitude)
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func driverFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.lowercased().hasSuffix(".sys") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// File ranges of the sections marked executable (or code), from the PE section table.
    static func executableSections(of image: [UInt8]) -> [Range<Int>] {
        func u16(_ at: Int) -> Int { at + 2 <= image.count ? Int(image[at]) | Int(image[at + 1]) << 8 : 0 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard image.count > 0x40, image[0] == 0x4D, image[1] == 0x5A else { return [] }
        let pe = u32(0x3C)
        guard pe + 24 <= image.count, u32(pe) == 0x4550 else { return [] }
        let count = u16(pe + 6), table = pe + 24 + u16(pe + 20)
        var ranges: [Range<Int>] = []
        for index in 0..<count {
            let header = table + 40 * index
            guard header + 40 <= image.count else { break }
            let virtualSize = u32(header + 8), rawSize = u32(header + 16), raw = u32(header + 20)
            let characteristics = u32(header + 36)
            guard characteristics & 0x2000_0020 != 0 else { continue }  // MEM_EXECUTE or CNT_CODE
            let size = virtualSize == 0 ? rawSize : min(virtualSize, rawSize)
            guard raw < image.count, size > 0 else { continue }
            ranges.append(raw..<min(raw + size, image.count))
        }
        return ranges
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = [], chars = Array(hex.utf8)[...]
        while chars.count >= 2 {
            result.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        return result
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// A small seeded generator, so random runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
