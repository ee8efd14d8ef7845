import CPU

/// Counts executed instructions with a block hook: each translated block's
/// instruction count is decoded once (lengths only, by the pure-Swift
/// `InstructionDecoder`, so Capstone need not be loaded) and cached, so the
/// cost is one callback per block executed, not one per instruction. Stops
/// the engine when the budget is spent.
final class InstructionCounter {
    private(set) var count = 0
    var budget: Int
    private(set) var exceeded = false
    private var blockSizes: [UInt64: Int] = [:]
    private var hook: HookHandle?

    init(engine: Engine, budget: Int) throws {
        self.budget = budget
        hook = try engine.addBlockHook(range: nil) { [unowned self] engine, address, size in
            count += instructions(in: engine, at: address, size: Int(size))
            if count > self.budget {
                exceeded = true
                engine.stop()
            }
        }
    }

    func reset() {
        count = 0
        exceeded = false
    }

    private func instructions(in engine: Engine, at address: UInt64, size: Int) -> Int {
        if let known = blockSizes[address] { return known }
        var n = 0
        if size > 0, size <= 4096, let bytes = try? engine.readMemory(address, count: size) {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count,
                      let length = InstructionDecoder.length(of: UnsafeRawBufferPointer(rebasing: buffer[offset...])) {
                    n += 1
                    offset += length
                }
            }
        }
        n = max(n, 1)
        blockSizes[address] = n
        return n
    }
}
