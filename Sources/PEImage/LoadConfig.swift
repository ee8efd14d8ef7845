/// The parts of IMAGE_LOAD_CONFIG_DIRECTORY that the loader and HVCI use.
public struct LoadConfig: Sendable, Equatable {
    /// The declared size of the structure (its first field).
    public var size: UInt32
    /// VA of the image's `__security_cookie` (/GS), or 0.
    public var securityCookieVA: UInt64
    /// IMAGE_GUARD_* flags (Control Flow Guard and friends), 0 when absent.
    public var guardFlags: UInt32

    /// The value MSVC's x64 CRT leaves in `__security_cookie` until the loader
    /// initialises it; a driver that still sees it bug checks with 0xF7.
    public static let defaultSecurityCookie64: UInt64 = 0x2B99_2DDF_A232
    public static let defaultSecurityCookie32: UInt64 = 0xBB40_E64E

    public static let guardCFInstrumented: UInt32 = 0x100
}

struct LoadConfigParser {
    let image: PEFile

    func parse() throws -> LoadConfig? {
        let dir = image.optionalHeader.directory(.loadConfig)
        guard dir.isPresent else { return nil }
        let referencedAt = image.dataDirectoryOffset + 8 * DirectoryIndex.loadConfig.rawValue
        let at = try image.fileOffset(ofRVA: UInt64(dir.rva), size: 4, field: "load config directory", referencedAt: referencedAt)
        let r = image.reader
        let declared = try r.u32("load config Size", at: at)
        // Fields beyond both the declared size and the directory size are absent, not errors.
        let available = Int(min(declared, dir.size))
        let wide = image.is64Bit
        let cookieOffset = wide ? 0x58 : 0x3C
        let guardOffset = wide ? 0x90 : 0x58
        func field(_ name: String, _ offset: Int, size: Int) throws -> UInt64 {
            guard offset + size <= available else { return 0 }
            let fileAt = try image.fileOffset(ofRVA: UInt64(dir.rva) + UInt64(offset), size: size,
                                              field: "load config \(name)", referencedAt: at)
            return size == 8 ? try r.u64("load config \(name)", at: fileAt) : UInt64(try r.u32("load config \(name)", at: fileAt))
        }
        return LoadConfig(size: declared,
                          securityCookieVA: try field("SecurityCookie", cookieOffset, size: wide ? 8 : 4),
                          guardFlags: UInt32(truncatingIfNeeded: try field("GuardFlags", guardOffset, size: 4)))
    }
}
