/// One entry of the section table (IMAGE_SECTION_HEADER).
public struct Section: Sendable, Equatable {
    public var name: String
    public var virtualSize: UInt32
    public var virtualAddress: UInt32
    public var sizeOfRawData: UInt32
    public var pointerToRawData: UInt32
    public var characteristics: UInt32
    /// File offset of this section's 40-byte header (reported by DV 0x2003–0x2005).
    public var headerOffset: Int

    /// Bytes the section occupies in memory: VirtualSize, or the raw size when
    /// a (non-Microsoft) linker left VirtualSize at 0.
    public var mappedSize: UInt32 { virtualSize != 0 ? virtualSize : sizeOfRawData }

    public var isExecutable: Bool { characteristics & SectionFlags.memExecute != 0 }
    public var isWritable: Bool { characteristics & SectionFlags.memWrite != 0 }
    public var isReadable: Bool { characteristics & SectionFlags.memRead != 0 }
    public var isDiscardable: Bool { characteristics & SectionFlags.memDiscardable != 0 }

    /// "RWX"-style permissions as the section header asks for them.
    public var permissions: String {
        (isReadable ? "R" : "-") + (isWritable ? "W" : "-") + (isExecutable ? "X" : "-")
    }

    /// Whether `rva` falls inside the section's memory image.
    public func contains(rva: UInt64) -> Bool {
        rva >= UInt64(virtualAddress) && rva < UInt64(virtualAddress) + UInt64(mappedSize)
    }
}

/// IMAGE_SCN_* bits.
public enum SectionFlags {
    public static let cntCode: UInt32 = 0x0000_0020
    public static let cntInitializedData: UInt32 = 0x0000_0040
    public static let cntUninitializedData: UInt32 = 0x0000_0080
    public static let memDiscardable: UInt32 = 0x0200_0000
    public static let memNotPaged: UInt32 = 0x0800_0000
    public static let memExecute: UInt32 = 0x2000_0000
    public static let memRead: UInt32 = 0x4000_0000
    public static let memWrite: UInt32 = 0x8000_0000
}
