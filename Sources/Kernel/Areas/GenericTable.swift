/// RTL_AVL_TABLE: initialising a table, counting and enumerating its elements
/// (walking the tree in guest memory in key order), and inserting, looking up
/// and deleting, which call the driver's CompareRoutine, AllocateRoutine and
/// FreeRoutine as guest calls. The model keeps the tree a correct binary
/// search tree but does not rebalance it (lookups stay correct, only deeper);
/// each element is RTL_BALANCED_LINKS followed by the caller's data.
///
/// RTL_AVL_TABLE (x64): BalancedRoot (RTL_BALANCED_LINKS: Parent, LeftChild,
/// RightChild, Balance; 0x20 bytes) +0, OrderedPointer +0x20,
/// WhichOrderedElement +0x28, NumberGenericTableElements +0x2C, DepthOfTree
/// +0x30, RestartKey +0x38, DeleteCount +0x40, CompareRoutine +0x48,
/// AllocateRoutine +0x50, FreeRoutine +0x58, TableContext +0x60. The root of
/// the tree is BalancedRoot.RightChild; each element's data follows its links.
enum GenericTableArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("RtlInitializeGenericTableAvl") { try initialize($0) },
        .ntoskrnl("RtlNumberGenericTableElementsAvl") { call in UInt64(try call.kernel.readU32(call.arg(0) &+ Table.count)) },
        .ntoskrnl("RtlIsGenericTableEmptyAvl") { call in try call.kernel.readU32(call.arg(0) &+ Table.count) == 0 ? 1 : 0 },
        .ntoskrnl("RtlEnumerateGenericTableWithoutSplayingAvl") { try enumerate($0, restartKey: $0.arg(1)) },
        .ntoskrnl("RtlInsertElementGenericTableAvl") { try insert($0) },
        .ntoskrnl("RtlLookupElementGenericTableAvl") { try lookup($0) },
        .ntoskrnl("RtlDeleteElementGenericTableAvl") { try delete($0) },
        .ntoskrnl("RtlEnumerateGenericTableAvl") { call in
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

    // MARK: Callbacks into the driver

    /// TABLE_SEARCH_RESULT of the walk for `buffer`: the node holding an equal key, or the node
    /// (the table itself for an empty tree) and side where it would go.
    enum Search {
        case found(UInt64)
        case missing(parent: UInt64, right: Bool)
    }

    /// Walks from the root calling CompareRoutine(Table, Buffer, element data): GenericLessThan 0
    /// goes left, GenericGreaterThan 1 right, GenericEqual 2 stops.
    static func search(_ kernel: Kernel, table: UInt64, buffer: UInt64, depth: Int = 0, node start: UInt64? = nil,
                       then: @escaping (Search) throws -> GuestStep) throws -> GuestStep {
        let node = try start ?? kernel.readU64(table &+ Table.rightChild)
        if node == 0 { return try then(.missing(parent: table, right: true)) }
        guard depth < Table.maxDepth else { return .finish(0) }
        let compare = try kernel.readU64(table &+ Table.compare)
        return .call(compare, [table, buffer, node &+ Table.linksSize]) { result in
            switch UInt32(truncatingIfNeeded: result) {
            case 2: return try then(.found(node))
            case 0, 1:
                let side = result & 0xFF == 1 ? Table.rightChild : Table.leftChild
                let child = try kernel.readU64(node &+ side)
                if child == 0 { return try then(.missing(parent: node, right: side == Table.rightChild)) }
                return try search(kernel, table: table, buffer: buffer, depth: depth + 1, node: child, then: then)
            default:
                return .finish(0) // not a TABLE_COMPARE_RESULTS value
            }
        }
    }

    /// RtlInsertElementGenericTableAvl(Table, Buffer, BufferSize, *NewElement): the element with
    /// an equal key, or a new one from AllocateRoutine(Table, BufferSize + links) holding a copy of
    /// Buffer; NULL when the allocation fails.
    static func insert(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, table = try call.arg(0), buffer = try call.arg(1)
        let size = UInt64(try call.arg32(2)), newElement = try call.arg(3)
        guard size <= 1 << 24 else { return 0 }
        return try kernel.runGuestStep(call, try search(kernel, table: table, buffer: buffer) { result in
            switch result {
            case .found(let node):
                if newElement != 0 { try kernel.writeU8(newElement, 0) }
                return .finish(node &+ Table.linksSize)
            case let .missing(parent, right):
                let allocate = try kernel.readU64(table &+ Table.allocate)
                return .call(allocate, [table, size &+ Table.linksSize]) { node in
                    guard node != 0 else { return .finish(0) }
                    try kernel.fill(node, count: Int(Table.linksSize))
                    try kernel.writeU64(node &+ Table.parent, parent)
                    try kernel.writeBytes(node &+ Table.linksSize, try kernel.readBytes(buffer, count: Int(size)))
                    try kernel.writeU64(parent &+ (right ? Table.rightChild : Table.leftChild), node)
                    let count = try kernel.readU32(table &+ Table.count)
                    try kernel.writeU32(table &+ Table.count, count &+ 1)
                    if newElement != 0 { try kernel.writeU8(newElement, 1) }
                    return .finish(node &+ Table.linksSize)
                }
            }
        })
    }

    /// RtlLookupElementGenericTableAvl(Table, Buffer): the element with an equal key, or NULL.
    static func lookup(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        return try kernel.runGuestStep(call, try search(kernel, table: call.arg(0), buffer: call.arg(1)) { result in
            if case .found(let node) = result { return .finish(node &+ Table.linksSize) }
            return .finish(0)
        })
    }

    /// RtlDeleteElementGenericTableAvl(Table, Buffer): unlinks the element with an equal key and
    /// gives it to FreeRoutine(Table, Element); TRUE if there was one.
    static func delete(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, table = try call.arg(0)
        return try kernel.runGuestStep(call, try search(kernel, table: table, buffer: call.arg(1)) { result in
            guard case .found(let node) = result else { return .finish(0) }
            try unlink(kernel, table: table, node: node)
            let count = try kernel.readU32(table &+ Table.count)
            try kernel.writeU32(table &+ Table.count, count > 0 ? count - 1 : 0)
            if try kernel.readU64(table &+ Table.restartKey) == node { try kernel.writeU64(table &+ Table.restartKey, 0) }
            let free = try kernel.readU64(table &+ Table.free)
            return .call(free, [table, node]) { _ in .finish(1) }
        })
    }

    /// Points `parent`'s link to `old` at `new` (the table's BalancedRoot is the root's parent).
    static func replaceChild(_ kernel: Kernel, parent: UInt64, old: UInt64, new: UInt64) throws {
        let side = try kernel.readU64(parent &+ Table.leftChild) == old ? Table.leftChild : Table.rightChild
        try kernel.writeU64(parent &+ side, new)
        if new != 0 { try kernel.writeU64(new &+ Table.parent, parent) }
    }

    /// Binary-search-tree removal of `node`: a node with two children is replaced by its in-order successor.
    static func unlink(_ kernel: Kernel, table: UInt64, node: UInt64) throws {
        let parent = try kernel.readU64(node &+ Table.parent)
        let left = try kernel.readU64(node &+ Table.leftChild), right = try kernel.readU64(node &+ Table.rightChild)
        if left == 0 || right == 0 {
            try replaceChild(kernel, parent: parent, old: node, new: left == 0 ? right : left)
            return
        }
        var successor = right
        for _ in 0..<Table.maxDepth {
            let next = try kernel.readU64(successor &+ Table.leftChild)
            if next == 0 { break }
            successor = next
        }
        if successor != right {
            let successorParent = try kernel.readU64(successor &+ Table.parent)
            try replaceChild(kernel, parent: successorParent, old: successor, new: kernel.readU64(successor &+ Table.rightChild))
            try kernel.writeU64(successor &+ Table.rightChild, right)
            try kernel.writeU64(right &+ Table.parent, successor)
        }
        try kernel.writeU64(successor &+ Table.leftChild, left)
        try kernel.writeU64(left &+ Table.parent, successor)
        try replaceChild(kernel, parent: parent, old: node, new: successor)
    }
}
