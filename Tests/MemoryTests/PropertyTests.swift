import CPU
import Testing
@testable import Memory

/// Random sequences of allocate / alias / free / protect / PTE edits (API and guest) / verify /
/// revoke with HVCI on, checking the model's invariants after every step.
@Suite struct PropertyTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func invariantsHoldUnderRandomOperations(seed: UInt64) throws {
        var random = SplitMix64(state: seed)
        let machine = try Machine(hvci: true, limit: 4 << 20)
        let memory = machine.memory
        // The emulator's trampoline holds `mov [rdi], rax` (a guest PTE write) and is left alone.
        let stub = try memory.allocate(pages: 1, owner: .trampoline, rights: .readExecute)
        try memory.write(stub.base, X64.movMemRdiRax, mode: .privileged)
        try memory.verifier.grantTrampoline(frames: stub.frames)
        var live: [Allocation] = []
        var imageCursor = Machine.imageBase + 0x10_0000
        let rightsChoices: [PageRights] = [.readWrite, .read, .all, .readExecute]
        var counts: [String: Int] = [:]

        func randomPage() -> UInt64? {
            guard let allocation = live.randomElement(using: &random) else { return nil }
            return allocation.base + UInt64(Int.random(in: 0..<allocation.pageCount, using: &random)) * 0x1000
        }

        for step in 0..<1_000 {
            let operation = Int.random(in: 0..<10, using: &random)
            var name = ""
            switch operation {
            case 0:
                name = "pool"
                let rights = rightsChoices.randomElement(using: &random) ?? .readWrite
                if let allocation = try? memory.allocate(pages: Int.random(in: 1...3, using: &random),
                                                         owner: .pool(tag: UInt32(step), poolType: 0), rights: rights) {
                    live.append(allocation)
                }
            case 1:
                name = "image"
                let pages = Int.random(in: 1...2, using: &random)
                if let allocation = try? memory.allocate(pages: pages, owner: .imageSection(image: "r.sys", section: ".text"),
                                                         at: imageCursor) {
                    live.append(allocation)
                }
                imageCursor += UInt64(pages + 1) * 0x1000
            case 2:
                name = "alias"
                if let source = live.randomElement(using: &random),
                   let allocation = try? memory.alias(va: source.base, count: source.pageCount,
                                                      rights: rightsChoices.randomElement(using: &random) ?? .readWrite) {
                    live.append(allocation)
                }
            case 3:
                name = "free"
                if !live.isEmpty {
                    let allocation = live.remove(at: Int.random(in: 0..<live.count, using: &random))
                    try memory.free(allocation.base)
                }
            case 4:
                name = "protect"
                if let page = randomPage() {
                    try memory.protect(page, pages: 1, rights: rightsChoices.randomElement(using: &random) ?? .read)
                }
            case 5:
                name = "verify"
                if let image = live.filter({ !$0.isAlias && $0.owner != .trampoline
                                             && { if case .imageSection = $0.owner { return true } else { return false } }($0) })
                    .randomElement(using: &random) {
                    try memory.verifier.verifyImageCode(frames: image.frames)
                }
            case 6:
                name = "revoke"
                if let allocation = live.randomElement(using: &random) {
                    memory.verifier.revoke(frames: allocation.frames)
                }
            case 7, 8:
                // A guest PTE write: flip NX / W / present, or point the PTE at another live frame.
                name = "guestPTE"
                if let page = randomPage() {
                    var value = memory.pte(of: page).raw
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0: value ^= PageTableEntry.noExecuteBit
                    case 1: value ^= PageTableEntry.writeBit
                    case 2: value ^= PageTableEntry.presentBit
                    default:
                        if let other = randomPage(), let pfn = memory.frame(of: other) {
                            value = (value & ~PageTableEntry.pfnMask) | (pfn << 12)
                        }
                    }
                    try machine.engine.write(.rdi, memory.pteAddress(of: page))
                    try machine.engine.write(.rax, value)
                    try memory.run(at: stub.base, until: stub.base + 3)
                    #expect(memory.pte(of: page).raw == value)
                }
            default:
                name = "apiPTE"
                if let page = randomPage() {
                    let entry = memory.pte(of: page)
                    try memory.setPTE(of: page, PageTableEntry(raw: entry.raw ^ PageTableEntry.noExecuteBit))
                }
            }
            counts[name, default: 0] += 1
            let problems = memory.invariantViolations()
            #expect(problems.isEmpty, "step \(step) (\(name)): \(problems.prefix(3))")
            if !problems.isEmpty { break }
        }
        #expect(memory.takeStopViolation() == nil)
        #expect(counts.count == 9)
    }
}
