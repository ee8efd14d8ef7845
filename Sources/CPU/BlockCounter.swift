import CUnicorn
import CUnicornShim

/// Counts executed instructions and stops the engine past a budget, with a
/// block hook written in C (`hvs_block_counter`): per executed block one cache
/// lookup and an add. A block's instruction count is decoded once, on a cache
/// miss, by the pure-Swift `InstructionDecoder` (lengths only).
public final class BlockCounter {
    let state: UnsafeMutablePointer<hvs_block_counter>
    unowned let engine: Engine

    /// Instructions executed since the last `reset()`.
    public var count: Int { Int(clamping: state.pointee.count) }
    /// Whether the budget was exceeded (and the engine stopped).
    public var exceeded: Bool { state.pointee.exceeded != 0 }

    public var budget: Int {
        get { Int(clamping: state.pointee.budget) }
        set { state.pointee.budget = UInt64(max(newValue, 0)) }
    }

    init(engine: Engine, budget: Int) {
        self.engine = engine
        state = .allocate(capacity: 1)
        state.initialize(to: hvs_block_counter())
        state.pointee.budget = UInt64(max(budget, 0))
        state.pointee.instructions = { context, address, size in
            guard let context else { return 1 }
            let counter = Unmanaged<BlockCounter>.fromOpaque(context).takeUnretainedValue()
            return counter.instructions(at: address, size: Int(size))
        }
    }

    deinit { state.deallocate() }

    /// Starts a new count (the cache of block sizes is kept).
    public func reset() {
        state.pointee.count = 0
        state.pointee.exceeded = 0
    }

    /// Instructions in the block at `address` of `size` bytes (at least 1).
    private func instructions(at address: UInt64, size: Int) -> UInt32 {
        guard size > 0, size <= 4096, let bytes = try? engine.readMemory(address, count: size) else { return 1 }
        var n: UInt32 = 0
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count,
                  let length = InstructionDecoder.length(of: UnsafeRawBufferPointer(rebasing: buffer[offset...])) {
                n += 1
                offset += length
            }
        }
        return max(n, 1)
    }
}

extension Engine {
    /// Counts every executed instruction against `budget` (see BlockCounter).
    public func addBlockCounter(budget: Int) throws(EngineError) -> BlockCounter {
        let counter = BlockCounter(engine: self, budget: budget)
        counter.state.pointee.context = Unmanaged.passUnretained(counter).toOpaque()
        _ = try register(.blockCounter(counter), { hook, _ in
            hvs_hook_add_block_counter(handle, hook, counter.state)
        }, "hook block counter")
        return counter
    }
}
