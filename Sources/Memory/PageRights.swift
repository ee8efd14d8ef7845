import CPU

/// Read / write / execute, as a PTE or a SLAT entry grants them.
public struct PageRights: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 7 }

    public static let read = PageRights(rawValue: 1)
    public static let write = PageRights(rawValue: 2)
    public static let execute = PageRights(rawValue: 4)
    public static let readWrite: PageRights = [.read, .write]
    public static let readExecute: PageRights = [.read, .execute]
    public static let all: PageRights = [.read, .write, .execute]

    /// "rwx" style.
    public var description: String {
        (contains(.read) ? "r" : "-") + (contains(.write) ? "w" : "-") + (contains(.execute) ? "x" : "-")
    }

    /// The Unicorn protection granting exactly these rights.
    public var protection: Protection {
        var result: Protection = []
        if contains(.read) { result.insert(.read) }
        if contains(.write) { result.insert(.write) }
        if contains(.execute) { result.insert(.execute) }
        return result
    }
}

/// An x64 page-table entry as Windows stores it (8 bytes).
///
/// Bit 0 present, bit 1 write, bit 2 user (U/S), bit 63 NX, PFN in bits 12–51. Other bits are
/// kept as the guest wrote them but mean nothing to the model.
public struct PageTableEntry: Sendable, Hashable, CustomStringConvertible {
    public var raw: UInt64
    public init(raw: UInt64) { self.raw = raw }

    public static let presentBit: UInt64 = 1 << 0
    public static let writeBit: UInt64 = 1 << 1
    /// U/S: a user-mode page. All guest code runs in kernel mode with CR4.SMEP set, as Windows
    /// runs, so a fetch from such a page faults (SMEP) whatever the other bits say.
    public static let userBit: UInt64 = 1 << 2
    public static let noExecuteBit: UInt64 = 1 << 63
    public static let pfnMask: UInt64 = 0x000F_FFFF_FFFF_F000

    /// A present entry for `pfn` granting `rights` (no read right: not present); `user` sets U/S.
    public init(pfn: PFN, rights: PageRights, user: Bool = false) {
        var raw = (pfn << 12) & Self.pfnMask
        if rights.contains(.read) || rights.contains(.write) || rights.contains(.execute) { raw |= Self.presentBit }
        if rights.contains(.write) { raw |= Self.writeBit }
        if user { raw |= Self.userBit }
        if !rights.contains(.execute) { raw |= Self.noExecuteBit }
        self.raw = raw
    }

    public var present: Bool { raw & Self.presentBit != 0 }
    public var writable: Bool { raw & Self.writeBit != 0 }
    public var noExecute: Bool { raw & Self.noExecuteBit != 0 }
    public var user: Bool { raw & Self.userBit != 0 }
    public var pfn: PFN { (raw & Self.pfnMask) >> 12 }

    /// What the entry grants (empty when not present); execute is what NX allows, before SMEP.
    public var rights: PageRights {
        guard present else { return [] }
        var rights: PageRights = .read
        if writable { rights.insert(.write) }
        if !noExecute { rights.insert(.execute) }
        return rights
    }

    public var description: String {
        "PTE 0x\(String(raw, radix: 16)) (\(present ? rights.description : "not present"), pfn 0x\(String(pfn, radix: 16)))"
    }
}
