import Testing
@testable import CPU

@Suite struct BlockCounterTests {
    /// mov ecx, 1000; l: dec ecx; jnz l; hlt — 1 + 2 * 1000 instructions before the hlt.
    static let loop: [UInt8] = [0xB9, 0xE8, 0x03, 0x00, 0x00, 0xFF, 0xC9, 0x75, 0xFC, 0xF4]

    @Test func countsEveryExecutedInstruction() throws {
        let cpu = try engine(code: Self.loop)
        let counter = try cpu.addBlockCounter(budget: 1_000_000)
        try cpu.start(at: 0x1000, until: 0x1009)
        #expect(counter.count == 2_001)
        #expect(!counter.exceeded)
        // A second run counts again from zero, with the block sizes cached.
        counter.reset()
        try cpu.write(.rip, 0x1000)
        try cpu.start(at: 0x1000, until: 0x1009)
        #expect(counter.count == 2_001)
    }

    @Test func stopsTheEngineOnceTheBudgetIsSpent() throws {
        let cpu = try engine(code: Self.loop)
        let counter = try cpu.addBlockCounter(budget: 100)
        try cpu.start(at: 0x1000, until: 0x1009)
        #expect(counter.exceeded)
        // Stopped at the end of the block that crossed the budget (blocks are 2 or 3 instructions).
        #expect(counter.count > 100 && counter.count <= 103, "\(counter.count)")
        let rcx = try cpu.read(.rcx)
        #expect(rcx > 0 && rcx < 1000, "the loop was cut short (rcx \(rcx))")
    }

    @Test func removingHooksReleasesTheCounter() throws {
        let cpu = try engine(code: Self.loop)
        weak var weakCounter: BlockCounter?
        do {
            let counter = try cpu.addBlockCounter(budget: 10)
            weakCounter = counter
        }
        #expect(weakCounter != nil, "the engine keeps its counter while the hook exists")
        cpu.removeAllHooks()
        #expect(weakCounter == nil)
        try cpu.start(at: 0x1000, until: 0x1009)
        #expect(try cpu.read(.rcx) == 0, "no counter stopped the loop")
    }
}
