import Memory

/// Pool allocation DDIs. Each allocation gets its own pages followed by an
/// unmapped guard page, so overruns fault at the first byte past the page.
/// Executable requests are Driver Verifier 0xC4/0x2000; the memory then is
/// what Windows would give: executable with HVCI off, never with HVCI on
/// (the CI verifier keeps the SLAT non-executable for pool frames).
enum PoolArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("ExAllocatePool") { try allocate($0, type: $0.arg(0), size: $0.arg(1), tag: 0x656E6F4E) },
        .ntoskrnl("ExAllocatePoolWithTag") { try allocate($0, type: $0.arg(0), size: $0.arg(1), tag: $0.arg32(2)) },
        .ntoskrnl("ExAllocatePoolWithQuota") { try allocate($0, type: $0.arg(0), size: $0.arg(1), tag: 0x656E6F4E) },
        .ntoskrnl("ExAllocatePoolWithQuotaTag") { try allocate($0, type: $0.arg(0), size: $0.arg(1), tag: $0.arg32(2)) },
        .ntoskrnl("ExAllocatePoolWithTagPriority") { try allocate($0, type: $0.arg(0), size: $0.arg(1), tag: $0.arg32(2)) },
        .ntoskrnl("ExAllocatePool2") { try allocate2($0) },
        .ntoskrnl("ExAllocatePool3") { try allocate2($0) },
        .ntoskrnl("ExFreePool") { try free($0, $0.arg(0)) },
        .ntoskrnl("ExFreePoolWithTag") { try free($0, $0.arg(0)) },
        .ntoskrnl("ExInitializeNPagedLookasideList") { try initializeNPagedLookaside($0) },
        .ntoskrnl("ExDeleteNPagedLookasideList") { _ in 0 }.stub("lookaside lists are not tracked"),
        .ntoskrnl("ExInitializePagedLookasideList") { _ in 0 }.stub("lookaside lists are not tracked (paged pool is never executable)"),
        .ntoskrnl("ExDeletePagedLookasideList") { _ in 0 }.stub("lookaside lists are not tracked"),
        .ntoskrnl("ExInitializeLookasideListEx") { try initializeLookasideEx($0) },
        .ntoskrnl("ExDeleteLookasideListEx") { _ in 0 }.stub("lookaside lists are not tracked"),
        .ntoskrnl("MmAllocateContiguousMemory") { try contiguous($0, size: $0.arg(0)) },
        .ntoskrnl("MmAllocateContiguousMemorySpecifyCache") { try contiguous($0, size: $0.arg(0)) },
        .ntoskrnl("MmAllocateContiguousMemorySpecifyCacheNode") { try contiguous($0, size: $0.arg(0)) },
        // PVOID MmAllocateContiguousNodeMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
        //     PHYSICAL_ADDRESS HighestAcceptableAddress, PHYSICAL_ADDRESS BoundaryAddressMultiple, ULONG Protect,
        //     NODE_REQUIREMENT PreferredNode)
        .ntoskrnl("MmAllocateContiguousNodeMemory") { try contiguousNode($0) },
        .ntoskrnl("MmFreeContiguousMemory") { try free($0, $0.arg(0)) },
        .ntoskrnl("MmFreeContiguousMemorySpecifyCache") { try free($0, $0.arg(0)) },
        .ntoskrnl("MmAllocateNonCachedMemory") { try contiguous($0, size: $0.arg(0)) },
        .ntoskrnl("MmFreeNonCachedMemory") { try free($0, $0.arg(0)) },
    ]

    /// The largest single allocation the model grants (bigger requests fail as on a busy system).
    static let maxAllocation: UInt64 = 256 << 20

    static func allocate(_ call: KernelCall, type: UInt64, size: UInt64, tag: UInt32) throws -> UInt64 {
        let type32 = type & 0xFFFF_FFFF
        call.note("\(DriverVerifier.poolTypeName(type32)), \(size) bytes, tag '\(MemoryOwner.tagText(tag))'")
        let executable = DriverVerifier.isExecutable(poolType: type32)
        if executable {
            try call.kernel.verifierViolation(
                call, subcode: 0x2000, title: "executable pool allocation (\(DriverVerifier.poolTypeName(type32)))",
                p3: type32, p4: UInt64(tag),
                fix: "allocate NonPagedPoolNx (or POOL_FLAG_NON_PAGED with ExAllocatePool2); build with POOL_NX_OPTIN / -DPOOL_NX_OPTIN=1 and call ExInitializeDriverRuntime(DrvRtPoolNxOptIn)",
                details: [(key: "poolType", value: DriverVerifier.poolTypeName(type32)),
                          (key: "tag", value: MemoryOwner.tagText(tag))])
        }
        return try call.kernel.allocatePool(size: size, tag: tag, poolType: type32, executable: executable)
    }

    /// ExAllocatePool2/3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, …).
    static func allocate2(_ call: KernelCall) throws -> UInt64 {
        let flags = try call.arg(0), size = try call.arg(1), tag = try call.arg32(2)
        call.note("flags 0x\(String(flags, radix: 16)), \(size) bytes, tag '\(MemoryOwner.tagText(tag))'")
        let executable = flags & DriverVerifier.poolFlagNonPagedExecute != 0
        if executable {
            try call.kernel.verifierViolation(
                call, subcode: 0x2000, title: "executable pool allocation (POOL_FLAG_NON_PAGED_EXECUTE)",
                p3: flags, p4: UInt64(tag),
                fix: "pass POOL_FLAG_NON_PAGED instead of POOL_FLAG_NON_PAGED_EXECUTE",
                details: [(key: "poolFlags", value: "0x" + String(flags, radix: 16)),
                          (key: "tag", value: MemoryOwner.tagText(tag))])
        }
        let poolType: UInt64 = flags & 0x100 != 0 ? 1 : executable ? 0 : 0x200
        let result = try call.kernel.allocatePool(size: size, tag: tag, poolType: poolType, executable: executable)
        if result == 0, flags & 0x20 != 0 {
            throw KernelStop.bugCheck(code: 0x41, parameters: [size, 0, 0, 0], site: call.returnAddress)
        }
        return result
    }

    static func contiguous(_ call: KernelCall, size: UInt64) throws -> UInt64 {
        call.note("\(size) bytes, executable non-paged memory")
        try call.kernel.verifierViolation(
            call, subcode: 0x2000, title: "executable contiguous memory (\(call.function.split(separator: "!").last ?? ""))",
            p3: 0, p4: nil,
            fix: "use MmAllocateContiguousNodeMemory with PAGE_READWRITE",
            details: [(key: "poolType", value: "NonPagedPool")])
        return try call.kernel.allocatePool(size: size, tag: 0, poolType: 0, executable: true)
    }

    /// MmAllocateContiguousNodeMemory: Protect must be PAGE_READWRITE or PAGE_EXECUTE_READWRITE,
    /// optionally with PAGE_NOCACHE (0x200) or PAGE_WRITECOMBINE (0x400). An executable
    /// Protect is DV 0x2001 with Protect as the third parameter.
    static func contiguousNode(_ call: KernelCall) throws -> UInt64 {
        let size = try call.arg(0), protect = try call.arg32(4)
        call.note("\(size) bytes, \(DriverVerifier.protectionName(protect))")
        let executable = DriverVerifier.isExecutable(protection: protect)
        try call.kernel.checkPageProtection(call, protect, fix: "pass PAGE_READWRITE (optionally | PAGE_NOCACHE) as Protect")
        let base = protect & 0xFF, cache = protect & ~0xFF
        guard base == 0x04 || base == 0x40, cache & ~0x600 == 0, cache != 0x600 else { return 0 }
        return try call.kernel.allocatePool(size: size, tag: 0, poolType: executable ? 0 : 0x200, executable: executable)
    }

    static func free(_ call: KernelCall, _ address: UInt64) throws -> UInt64 {
        call.kernel.freePool(address)
        return 0
    }

    /// GENERAL_LOOKASIDE fields the inline ExAllocateFrom…LookasideList reads.
    enum Lookaside {
        static let type = 0x24, tag = 0x28, size = 0x2C, allocate = 0x30, free = 0x38
    }

    /// ExInitializeNPagedLookasideList(Lookaside, Allocate, Free, Flags, Size, Tag, Depth).
    static func initializeNPagedLookaside(_ call: KernelCall) throws -> UInt64 {
        let flags = try call.arg32(3), size = try call.arg(4), tag = try call.arg32(5)
        let poolType: UInt64 = flags & 0x200 != 0 ? 0x200 : 0
        call.note("Flags 0x\(String(flags, radix: 16)), \(size) bytes, tag '\(MemoryOwner.tagText(tag))'")
        if poolType == 0 {
            try call.kernel.verifierViolation(
                call, subcode: 0x2000, title: "lookaside list of executable pool (no POOL_NX_ALLOCATION)",
                p3: poolType, p4: UInt64(tag),
                fix: "pass POOL_NX_ALLOCATION (0x200) in Flags",
                details: [(key: "poolType", value: "NonPagedPool"), (key: "tag", value: MemoryOwner.tagText(tag))])
        }
        try writeLookaside(call, address: call.arg(0), poolType: poolType, size: size, tag: tag,
                           allocate: call.arg(1), free: call.arg(2))
        return 0
    }

    /// ExInitializeLookasideListEx(Lookaside, Allocate, Free, PoolType, Flags, Size, Tag, Depth).
    static func initializeLookasideEx(_ call: KernelCall) throws -> UInt64 {
        let poolType = try call.arg(3) & 0xFFFF_FFFF, size = try call.arg(5), tag = try call.arg32(6)
        call.note("\(DriverVerifier.poolTypeName(poolType)), \(size) bytes, tag '\(MemoryOwner.tagText(tag))'")
        if DriverVerifier.isExecutable(poolType: poolType) {
            try call.kernel.verifierViolation(
                call, subcode: 0x2000, title: "lookaside list of executable pool (\(DriverVerifier.poolTypeName(poolType)))",
                p3: poolType, p4: UInt64(tag), fix: "pass NonPagedPoolNx as the pool type",
                details: [(key: "poolType", value: DriverVerifier.poolTypeName(poolType)),
                          (key: "tag", value: MemoryOwner.tagText(tag))])
        }
        try writeLookaside(call, address: call.arg(0), poolType: poolType, size: size, tag: tag,
                           allocate: call.arg(1), free: call.arg(2))
        return 0
    }

    static func writeLookaside(_ call: KernelCall, address: UInt64, poolType: UInt64, size: UInt64, tag: UInt32,
                               allocate: UInt64, free: UInt64) throws {
        let kernel = call.kernel
        try kernel.fill(address, count: 0x60)
        try kernel.writeU32(address &+ UInt64(Lookaside.type), UInt32(truncatingIfNeeded: poolType))
        try kernel.writeU32(address &+ UInt64(Lookaside.tag), tag)
        try kernel.writeU32(address &+ UInt64(Lookaside.size), UInt32(truncatingIfNeeded: size))
        let defaultAllocate = try kernel.resolve(module: "ntoskrnl.exe", function: "ExAllocatePoolWithTag")
        let defaultFree = try kernel.resolve(module: "ntoskrnl.exe", function: "ExFreePool")
        try kernel.writeU64(address &+ UInt64(Lookaside.allocate), allocate != 0 ? allocate : defaultAllocate)
        try kernel.writeU64(address &+ UInt64(Lookaside.free), free != 0 ? free : defaultFree)
    }
}

/// Small pool blocks share pages, as the real pool's do: 64 KiB chunks cut into
/// size classes (16 … 2,048 bytes) with per-class free lists. Separate pages per
/// block would give each its own Unicorn region, and a driver that allocates
/// thousands of small blocks would run out of them. Large blocks get their own
/// pages followed by a guard page, so overruns of them fault at once.
final class SmallPool {
    static let chunkPages = 16
    static let largest = 2048
    /// (executable, class size) → free blocks; (executable) → the chunk being carved.
    var freeBlocks: [Bool: [Int: [UInt64]]] = [:]
    var carving: [Bool: (next: UInt64, end: UInt64)] = [:]

    static func sizeClass(_ size: UInt64) -> Int {
        var size = max(16, Int(size))
        size -= 1
        var rounded = 16
        while rounded <= size { rounded <<= 1 }
        return rounded
    }
}

extension Kernel {
    /// Allocates pool (0 when the request is too large or memory is exhausted).
    func allocatePool(size: UInt64, tag: UInt32, poolType: UInt64, executable: Bool) throws -> UInt64 {
        guard size <= PoolArea.maxAllocation else { return 0 }
        let address: UInt64
        if size <= UInt64(SmallPool.largest) {
            guard let block = smallBlock(SmallPool.sizeClass(size), executable: executable) else { return 0 }
            try fill(block, count: SmallPool.sizeClass(size))
            address = block
        } else {
            let pages = max(1, Int((size + 0xFFF) / 0x1000))
            guard let allocation = try? memory.allocate(pages: pages, owner: .pool(tag: tag, poolType: poolType),
                                                        rights: executable ? .all : .readWrite) else { return 0 }
            address = allocation.base
        }
        objects.pool[address] = .init(size: Int(size), tag: tag, poolType: poolType, executable: executable)
        return address
    }

    private func smallBlock(_ sizeClass: Int, executable: Bool) -> UInt64? {
        let pool = state(SmallPool.self) { SmallPool() }
        if let block = pool.freeBlocks[executable]?[sizeClass]?.popLast() { return block }
        if let carving = pool.carving[executable], carving.end - carving.next >= UInt64(sizeClass) {
            pool.carving[executable] = (carving.next + UInt64(sizeClass), carving.end)
            return carving.next
        }
        // A tag of "Pool": the chunk holds many drivers' blocks; traps name the block by address.
        guard let chunk = try? memory.allocate(pages: SmallPool.chunkPages, owner: .pool(tag: 0x6C6F_6F50, poolType: executable ? 0 : 0x200),
                                               rights: executable ? .all : .readWrite) else { return nil }
        pool.carving[executable] = (chunk.base + UInt64(sizeClass), chunk.end)
        return chunk.base
    }

    /// The pool block holding `address`, described as reports show it: "pool 'Tag' (type 0x200) +0x10".
    public func poolBlockDescription(containing address: UInt64) -> String? {
        // Small blocks are at most 2 KiB: look back that far for a block start.
        var candidate = address & ~0xF
        for _ in 0..<(SmallPool.largest / 16 + 1) {
            if let block = objects.pool[candidate], address - candidate < UInt64(max(block.size, 1)) {
                return "pool '\(MemoryOwner.tagText(block.tag))' (type 0x\(String(block.poolType, radix: 16))) block 0x\(String(candidate, radix: 16))+0x\(String(address - candidate, radix: 16))"
            }
            guard candidate >= 16 else { break }
            candidate -= 16
        }
        return nil
    }

    func freePool(_ address: UInt64) {
        guard let block = objects.pool.removeValue(forKey: address) else { return }
        if block.size <= SmallPool.largest {
            let pool = state(SmallPool.self) { SmallPool() }
            pool.freeBlocks[block.executable, default: [:]][SmallPool.sizeClass(UInt64(block.size)), default: []].append(address)
            return
        }
        try? memory.free(address)
    }
}
