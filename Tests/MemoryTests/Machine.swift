import CPU
@testable import Memory

/// A small machine for the tests: an engine, a memory model, a verified one-page image
/// (`code`, then a second code page `code2`), a stack and helpers to run code.
struct Machine {
    static let imageBase: UInt64 = 0xFFFF_F805_1000_0000
    let engine: Engine
    let memory: MemoryModel
    let code: UInt64
    let code2: UInt64
    let stackTop: UInt64

    init(hvci: Bool, enforcement: Enforcement = .audit, limit: Int = 16 << 20) throws {
        engine = try Engine()
        memory = try MemoryModel(engine: engine, configuration: .init(hvci: hvci, enforcement: enforcement,
                                                                      guestMemoryLimit: limit))
        let text = try memory.allocate(pages: 2, owner: .imageSection(image: "test.sys", section: ".text"),
                                       at: Machine.imageBase + 0x1000)
        code = text.base
        code2 = text.base + 0x1000
        try memory.protect(text.base, pages: 2, rights: .readExecute)
        try memory.verifier.verifyImageCode(frames: text.frames)
        let stack = try memory.allocate(pages: 4, owner: .stack)
        stackTop = stack.end - 0x100
        try engine.write(.rsp, stackTop)
    }

    /// Writes `bytes` at the start of the code page (privileged: the loader's view) and runs them.
    func run(_ bytes: [UInt8], registers: [Register: UInt64] = [:]) throws {
        try memory.write(code, bytes, mode: .privileged)
        for (register, value) in registers { try engine.write(register, value) }
        try memory.run(at: code, until: code + UInt64(bytes.count), timeoutMicroseconds: 5_000_000)
    }

    var violations: [Violation] {
        memory.events.compactMap { if case let .violation(v) = $0 { return v } else { return nil } }
    }
}

/// Instruction bytes used by the tests.
enum X64 {
    static let movMemRbxRax: [UInt8] = [0x48, 0x89, 0x03]          // mov [rbx], rax
    static let movEcx5: [UInt8] = [0xB9, 0x05, 0x00, 0x00, 0x00]   // mov ecx, 5
    static let movRaxMemRdi: [UInt8] = [0x48, 0x8B, 0x07]          // mov rax, [rdi]
    static let btrRax63: [UInt8] = [0x48, 0x0F, 0xBA, 0xF0, 0x3F]  // btr rax, 63
    static let movMemRdiRax: [UInt8] = [0x48, 0x89, 0x07]          // mov [rdi], rax
    static let callRsi: [UInt8] = [0xFF, 0xD6]                     // call rsi
    static let movEax1234Ret: [UInt8] = [0xB8, 0x34, 0x12, 0x00, 0x00, 0xC3] // mov eax, 0x1234; ret
}

/// SplitMix64: a tiny deterministic PRNG for the property tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
