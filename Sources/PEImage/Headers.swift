/// The CPU an image is built for (IMAGE_FILE_HEADER.Machine).
public struct Machine: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let i386 = Machine(rawValue: 0x014C)
    public static let amd64 = Machine(rawValue: 0x8664)
    public static let arm64 = Machine(rawValue: 0xAA64)
    public static let armNT = Machine(rawValue: 0x01C4)

    /// The name used in reports ("x64", "x86", "arm64", …).
    public var description: String {
        switch self {
        case .amd64: return "x64"
        case .i386: return "x86"
        case .arm64: return "arm64"
        case .armNT: return "arm"
        default: return "unknown(\(hex(rawValue)))"
        }
    }
}

/// IMAGE_FILE_HEADER.
public struct FileHeader: Sendable, Equatable {
    public var machine: Machine
    public var numberOfSections: UInt16
    public var timeDateStamp: UInt32
    public var sizeOfOptionalHeader: UInt16
    public var characteristics: UInt16
}

/// One entry of the optional header's data directory table.
public struct DataDirectory: Sendable, Equatable {
    public var rva: UInt32
    public var size: UInt32
    public var isPresent: Bool { rva != 0 && size != 0 }
}

/// Indices into the data directory table (IMAGE_DIRECTORY_ENTRY_*).
public enum DirectoryIndex: Int, Sendable, CaseIterable {
    case export = 0, `import`, resource, exception, security, baseRelocation, debug,
         architecture, globalPointer, tls, loadConfig, boundImport, iat, delayImport, clrRuntime
}

/// IMAGE_OPTIONAL_HEADER32/64, with the pointer-sized fields widened.
public struct OptionalHeader: Sendable, Equatable {
    public static let magicPE32: UInt16 = 0x10B
    public static let magicPE32Plus: UInt16 = 0x20B

    public var magic: UInt16
    public var addressOfEntryPoint: UInt32
    public var baseOfCode: UInt32
    public var imageBase: UInt64
    public var sectionAlignment: UInt32
    public var fileAlignment: UInt32
    public var majorOperatingSystemVersion: UInt16
    public var majorSubsystemVersion: UInt16
    public var sizeOfImage: UInt32
    public var sizeOfHeaders: UInt32
    public var checkSum: UInt32
    public var subsystem: Subsystem
    public var dllCharacteristics: UInt16
    public var sizeOfStackReserve: UInt64
    public var dataDirectories: [DataDirectory]

    /// PE32+ (64-bit pointers) rather than PE32.
    public var isPE32Plus: Bool { magic == Self.magicPE32Plus }

    public func directory(_ index: DirectoryIndex) -> DataDirectory {
        index.rawValue < dataDirectories.count ? dataDirectories[index.rawValue] : DataDirectory(rva: 0, size: 0)
    }
}

/// IMAGE_DLLCHARACTERISTICS_* bits that matter to HVCI and the loader.
public enum DllCharacteristics {
    public static let highEntropyVA: UInt16 = 0x0020
    public static let dynamicBase: UInt16 = 0x0040
    public static let forceIntegrity: UInt16 = 0x0080
    /// Opt in to NX by default: every page not explicitly code is non-executable.
    public static let nxCompat: UInt16 = 0x0100
    public static let noSEH: UInt16 = 0x0400
    public static let guardCF: UInt16 = 0x4000
}

/// IMAGE_SUBSYSTEM_*; drivers are `native`.
public struct Subsystem: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let native = Subsystem(rawValue: 1)

    public var description: String {
        switch rawValue {
        case 1: return "native"
        case 2: return "windows-gui"
        case 3: return "windows-cui"
        case 10: return "efi-application"
        case 11: return "efi-boot-service-driver"
        case 12: return "efi-runtime-driver"
        default: return "unknown(\(rawValue))"
        }
    }
}
