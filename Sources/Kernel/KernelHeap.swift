import Memory

/// Memory for the kernel's own structures (DRIVER_OBJECT, strings, KPCR…):
/// a bump allocator over page runs taken from the memory model, 16-byte
/// aligned, never freed during a run.
final class KernelHeap {
    private let memory: MemoryModel
    private var cursor: UInt64 = 0
    private var limit: UInt64 = 0
    static let chunkPages = 16

    init(memory: MemoryModel) { self.memory = memory }

    /// `size` zeroed bytes; `name` labels the owner of fresh pages.
    func allocate(_ size: Int, name: String) throws -> UInt64 {
        let rounded = UInt64((max(size, 1) + 15) & ~15)
        if cursor == 0 || limit - cursor < rounded {
            let pages = max(Self.chunkPages, Int((rounded + 0xFFF) / 0x1000))
            let allocation = try memory.allocate(pages: pages, owner: .kernelStructure(name), rights: .readWrite)
            cursor = allocation.base
            limit = allocation.end
        }
        defer { cursor += rounded }
        return cursor
    }
}
