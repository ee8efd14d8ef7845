/// RTL_AVL_TABLE services that need no driver callback: initialising a table,
/// counting and enumerating its elements (walking the tree in guest memory in
/// key order, as the inline-free Rtl routines do). Insertion, lookup and
/// deletion call the driver's compare/allocate routines and are not modeled.
///
/// RTL_AVL_TABLE (x64): BalancedRoot (RTL_BALANCED_LINKS: Parent, LeftChild,
/// RightChild, Balance; 0x20 bytes) +0, OrderedPointer +0x20,
/// WhichOrderedElement +0x28, NumberGenericTableElements +0x2C, DepthOfTree
/// +0x30, RestartKey +0x38, DeleteCount +0x40, CompareRoutine +0x48,
/// AllocateRoutine +0x50, FreeRoutine +0x58, TableContext +0x60. The root of
/// the tree is BalancedRoot.RightChild; each element's data follows its links.
enum GenericTableArea {
    static let handlers: [String: KernelHandler] = [
        "RtlInitializeGenericTableAvl": { try initialize($0) },
        "RtlNumberGenericTableElementsAvl": { call in UInt64(try call.kernel.readU32(call.arg(0) &+ Table.count)) },
        "RtlIsGenericTableEmptyAvl": { call in try call.kernel.readU32(call.arg(0) &+ Table.count) == 0 ? 1 : 0 },
        "RtlEnumerateGenericTableWithoutSplayingAvl": { try enumerate($0, restartKey: $0.arg(1)) },
        "RtlEnumerateGenericTableAvl": { call in
            // (Table, Restart): Restart TRUE starts over; the table's own RestartKey keeps the place.
            let table = try call.arg(0)
            if try call.arg(1) & 0xFF != 0 { try call.kernel.writeU64(table &+ Table.restartKey, 0) }
            return try enumerate(call, restartKey: table &+ Table.restartKey)
        },
    ]

    enum Table {
        static let root: UInt64 = 0, rightChild: UInt64 = 0x10, parent: UInt64 = 0, leftChild: UInt64 = 0x8
        static let orderedPointer: UInt64 = 0x20, count: UInt64 = 0x2C, restartKey: UInt64 = 0x38
        static let compare: UInt64 = 0x48, allocate: UInt64 = 0x50, free: UInt64 = 0x58, context: UInt64 = 0x60
        static let totalSize = 0x68, linksSize: UInt64 = 0x20
        /// Deepest walk the model follows (a corrupt tree is not followed forever).
        static let maxDepth = 128
    }

    /// RtlInitializeGenericTableAvl(Table, CompareRoutine, AllocateRoutine, FreeRoutine, TableContext).
    static func initialize(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, table = try call.arg(0)
        try kernel.fill(table, count: Table.totalSize)
        try kernel.writeU64(table &+ Table.parent, table) // BalancedRoot.Parent points at itself
        try kernel.writeU64(table &+ Table.compare, call.arg(1))
        try kernel.writeU64(table &+ Table.allocate, call.arg(2))
        try kernel.writeU64(table &+ Table.free, call.arg(3))
        try kernel.writeU64(table &+ Table.context, call.arg(4))
        return 0
    }

    /// The in-order successor of `node` (nil at the end).
    static func successor(_ kernel: Kernel, of node: UInt64, table: UInt64) throws -> UInt64? {
        var current = try kernel.readU64(node &+ Table.rightChild)
        if current != 0 {
            for _ in 0..<Table.maxDepth {
                let left = try kernel.readU64(current &+ Table.leftChild)
                if left == 0 { return current }
                current = left
            }
            return nil
        }
        current = node
        for _ in 0..<Table.maxDepth {
            let parent = try kernel.readU64(current &+ Table.parent)
            if parent == table || parent == 0 || parent == current { return nil }
            if try kernel.readU64(parent &+ Table.leftChild) == current { return parent }
            current = parent
        }
        return nil
    }

    /// RtlEnumerateGenericTableWithoutSplayingAvl(Table, *RestartKey): the element after the one
    /// *RestartKey names (the first when it is NULL), or NULL at the end; *RestartKey advances.
    static func enumerate(_ call: KernelCall, restartKey: UInt64) throws -> UInt64 {
        let kernel = call.kernel, table = try call.arg(0)
        guard try kernel.readU32(table &+ Table.count) > 0 else { return 0 }
        let previous = try kernel.readU64(restartKey)
        var next: UInt64?
        if previous == 0 {
            // Leftmost node below the root (BalancedRoot.RightChild).
            var current = try kernel.readU64(table &+ Table.rightChild)
            for _ in 0..<Table.maxDepth where current != 0 {
                let left = try kernel.readU64(current &+ Table.leftChild)
                if left == 0 { break }
                current = left
            }
            next = current == 0 ? nil : current
        } else {
            next = try successor(kernel, of: previous, table: table)
        }
        guard let node = next else { return 0 }
        try kernel.writeU64(restartKey, node)
        return node &+ Table.linksSize
    }
}
