import Testing
@testable import CPU

/// The Unicorn behaviours the memory model relies on (probed on Debian's 2.0.1).
@Suite struct ProtectionTests {
    @Test func writeToReadOnlyFaults() throws {
        // mov [rbx], rax
        let cpu = try engine(code: [0x48, 0x89, 0x03])
        try cpu.map(0x4000, size: 0x1000, protection: .read)
        try cpu.write(.rbx, 0x4000)
        var faults: [MemoryAccess] = []
        try cpu.addFaultHook(.all) { _, access in faults.append(access); return false }
        #expect(throws: EngineError.self) { try cpu.start(at: 0x1000, until: 0x1003) }
        #expect(faults.map(\.kind) == [.writeProtected])
        #expect(try cpu.read(.rip) == 0x1000)
    }

    @Test func handledProtectedWriteIsDroppedAndExecutionContinues() throws {
        // mov [rbx], rax; push rax; mov rcx, 5
        let code: [UInt8] = [0x48, 0x89, 0x03, 0x50, 0x48, 0xC7, 0xC1, 5, 0, 0, 0]
        let cpu = try engine(code: code)
        try cpu.map(0x4000, size: 0x1000, protection: .read)
        try cpu.writeMemory(0x4000, [1, 2, 3, 4, 5, 6, 7, 8])
        try cpu.write(.rbx, 0x4000)
        try cpu.write(.rsp, 0x4100)
        try cpu.write(.rax, 0x77)
        var faults: [MemoryAccess] = []
        try cpu.addFaultHook(.writeProtected) { _, access in faults.append(access); return true }
        try cpu.start(at: 0x1000, until: 0x1000 + UInt64(code.count))
        #expect(faults.map(\.address) == [0x4000, 0x40F8])
        #expect(try cpu.readMemory(0x4000, count: 8) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try cpu.read(.rsp) == 0x40F8)
        #expect(try cpu.read(.rcx) == 5)
    }

    @Test func fetchFromNonExecutableFaults() throws {
        let cpu = try engine(code: [0x90, 0xC3], protection: [.read, .write])
        var faults: [MemoryAccess] = []
        try cpu.addFaultHook(.all) { _, access in faults.append(access); return false }
        do {
            try cpu.start(at: 0x1000, until: 0x1001)
            Issue.record("expected a fetch fault")
        } catch {
            #expect(error.unicornCode == .fetchProtected)
        }
        #expect(faults.first?.kind == .fetchProtected)
    }

    @Test func removingExecuteAfterTranslationTakesEffect() throws {
        let cpu = try engine(code: [0x90, 0x90])
        try cpu.start(at: 0x1000, until: 0x1002)
        try cpu.invalidateTranslations(from: 0x1000, to: 0x2000)
        try cpu.protect(0x1000, size: 0x1000, protection: [.read])
        #expect(throws: EngineError.self) { try cpu.start(at: 0x1000, until: 0x1002) }
    }

    @Test func aliasesShareHostMemory() throws {
        let host = UnsafeMutableRawPointer.allocate(byteCount: 0x1000, alignment: 0x1000)
        defer { host.deallocate() }
        host.initializeMemory(as: UInt8.self, repeating: 0, count: 0x1000)
        // mov [rbx], rax
        let cpu = try engine(code: [0x48, 0x89, 0x03])
        try cpu.map(0x10000, size: 0x1000, protection: [.read, .write], host: host)
        try cpu.map(0x20000, size: 0x1000, protection: .read, host: host)
        try cpu.write(.rbx, 0x10010)
        try cpu.write(.rax, 0x5A5A)
        try cpu.start(at: 0x1000, until: 0x1003)
        #expect(try cpu.readMemory(0x20010, count: 2) == [0x5A, 0x5A])
        #expect(host.load(fromByteOffset: 0x10, as: UInt16.self) == 0x5A5A)
    }

    @Test func protectionChangedInsideHookAllowsRetry() throws {
        // mov [rbx], rax
        let cpu = try engine(code: [0x48, 0x89, 0x03])
        try cpu.map(0x4000, size: 0x1000, protection: .read)
        try cpu.write(.rbx, 0x4000)
        try cpu.write(.rax, 0x99)
        try cpu.addFaultHook(.writeProtected) { engine, _ in
            (try? engine.protect(0x4000, size: 0x1000, protection: [.read, .write])) != nil
        }
        try cpu.start(at: 0x1000, until: 0x1003)
        #expect(try cpu.readMemory(0x4000, count: 1) == [0x99])
    }
}
