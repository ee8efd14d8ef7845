/// Guest-physical frame number (physical address >> 12).
public typealias PFN = UInt64

/// Page arithmetic and the self-map formula (DESIGN §2.1).
public enum PageGeometry {
    public static let pageSize: UInt64 = 0x1000
    public static let pageShift: UInt64 = 12
    /// The classic (pre-1607) self-map: PML4 index 0x1ED.
    public static let classicSelfMapBase: UInt64 = 0xFFFF_F680_0000_0000
    /// The self-map covers 2^39 bytes (one PML4 slot): PTEs of the whole 48-bit space.
    public static let selfMapSize: UInt64 = 1 << 39

    @inline(__always) public static func pageBase(_ va: UInt64) -> UInt64 { va & ~(pageSize - 1) }
    @inline(__always) public static func pageNumber(_ va: UInt64) -> UInt64 { va >> pageShift }
    @inline(__always) public static func pageOffset(_ va: UInt64) -> Int { Int(va & (pageSize - 1)) }

    /// Where the PTE of `va` lives: base + ((va >> 9) & 0x7F_FFFF_FFF8).
    @inline(__always) public static func pteAddress(of va: UInt64, selfMapBase: UInt64) -> UInt64 {
        selfMapBase &+ ((va >> 9) & 0x7F_FFFF_FFF8)
    }

    /// The virtual address whose PTE is at `pteAddress` (inverse of `pteAddress(of:)`),
    /// sign-extended from bit 47; nil outside the self-map.
    public static func virtualAddress(ofPTEAt pteAddress: UInt64, selfMapBase: UInt64) -> UInt64? {
        let (offset, borrow) = pteAddress.subtractingReportingOverflow(selfMapBase)
        guard !borrow, offset < selfMapSize else { return nil }
        return canonical((offset / 8) << pageShift)
    }

    /// Sign-extends bit 47.
    @inline(__always) public static func canonical(_ va: UInt64) -> UInt64 {
        va & (1 << 47) != 0 ? va | 0xFFFF_0000_0000_0000 : va & 0x0000_FFFF_FFFF_FFFF
    }

    @inline(__always) public static func isCanonical(_ va: UInt64) -> Bool { canonical(va) == va }

    /// `va + pages * 4 KiB`, or nil on overflow.
    public static func advance(_ va: UInt64, pages: Int) -> UInt64? {
        guard pages >= 0 else { return nil }
        let (bytes, o1) = UInt64(pages).multipliedReportingOverflow(by: pageSize)
        let (end, o2) = va.addingReportingOverflow(bytes)
        return o1 || o2 ? nil : end
    }
}
