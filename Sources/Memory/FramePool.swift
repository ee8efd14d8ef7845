#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Guest-physical frames, backed by one lazily committed host reservation of `limitBytes`.
///
/// Frame `pfn` lives at `base + (pfn - firstPFN) * 4 KiB`. Host pages are only committed when
/// touched, so a large cap costs nothing until used. Frames are zeroed when handed out.
final class FramePool {
    /// Physical frame numbers start here (low physical memory is left unused, as on a PC).
    static let firstPFN: PFN = 0x100
    let capacity: Int
    let limitBytes: Int
    private let base: UnsafeMutableRawPointer
    private var nextUnused = 0
    private var freeList: [Int] = []
    private var used: [Bool]
    private(set) var inUse = 0

    init(limitBytes: Int) throws(MemoryError) {
        let pageSize = Int(PageGeometry.pageSize)
        guard limitBytes >= pageSize else { throw .invalidArgument("guest memory limit below one page") }
        capacity = limitBytes / pageSize
        self.limitBytes = capacity * pageSize
        let mapping = mmap(nil, self.limitBytes, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapping, mapping != MAP_FAILED else {
            throw .invalidArgument("cannot reserve \(limitBytes) bytes of host memory")
        }
        base = mapping
        used = [Bool](repeating: false, count: capacity)
    }

    deinit { munmap(base, limitBytes) }

    var available: Int { capacity - inUse }

    /// Takes `count` zeroed frames, or fails without taking any.
    func allocate(_ count: Int) throws(MemoryError) -> [PFN] {
        guard count >= 0 else { throw .invalidArgument("negative frame count") }
        guard count <= available else { throw .outOfGuestMemory(requestedPages: count, limitBytes: limitBytes) }
        var frames: [PFN] = []
        frames.reserveCapacity(count)
        // A multi-page request takes fresh, host-contiguous frames when there are enough, so the
        // allocation can be one Unicorn region; single pages reuse freed frames first.
        let contiguous = count > 1 && capacity - nextUnused >= count
        for _ in 0..<count {
            let index: Int
            if !contiguous, let reused = freeList.popLast() {
                index = reused
                // Only a reused frame needs zeroing: a fresh one is untouched anonymous memory (zero),
                // and leaving it untouched keeps it out of the host's resident set until the guest
                // writes it (an allocation bomb then costs address space, not RSS).
                (base + index * Int(PageGeometry.pageSize)).initializeMemory(as: UInt8.self, repeating: 0,
                                                                             count: Int(PageGeometry.pageSize))
            } else {
                index = nextUnused
                nextUnused += 1
            }
            used[index] = true
            frames.append(FramePool.firstPFN + PFN(index))
        }
        inUse += count
        return frames
    }

    func release(_ pfn: PFN) {
        guard let index = index(of: pfn) else { return }
        used[index] = false
        inUse -= 1
        freeList.append(index)
    }

    /// Whether `pfn` is a frame currently handed out.
    func isAllocated(_ pfn: PFN) -> Bool { index(of: pfn) != nil }

    /// Host memory of an allocated frame (4 KiB).
    func host(_ pfn: PFN) -> UnsafeMutableRawPointer? {
        guard let index = index(of: pfn) else { return nil }
        return base + index * Int(PageGeometry.pageSize)
    }

    private func index(of pfn: PFN) -> Int? {
        guard pfn >= FramePool.firstPFN, pfn - FramePool.firstPFN < PFN(capacity) else { return nil }
        let index = Int(pfn - FramePool.firstPFN)
        return used[index] ? index : nil
    }
}
