/// A SID as the model keeps it: identifier authority and sub-authorities,
/// with the byte form Windows uses (SID: Revision 1, count, 6-byte big-endian
/// authority, little-endian ULONG sub-authorities) and the "S-1-5-18" text form.
struct SidValue: Hashable, CustomStringConvertible {
    var authority: UInt64
    var subAuthorities: [UInt32]

    init(_ authority: UInt64, _ subAuthorities: [UInt32]) {
        self.authority = authority & 0xFFFF_FFFF_FFFF
        self.subAuthorities = Array(subAuthorities.prefix(Layout.Sid.maxSubAuthorities))
    }

    var length: Int { 8 &+ 4 * subAuthorities.count }

    var bytes: [UInt8] {
        var out: [UInt8] = [1, UInt8(subAuthorities.count)]
        out += (0..<6).map { UInt8(truncatingIfNeeded: authority >> (8 * UInt64(5 - $0))) }
        for sub in subAuthorities { out += (0..<4).map { UInt8(truncatingIfNeeded: sub >> (8 * UInt32($0))) } }
        return out
    }

    /// SDDL text; authorities of 2^32 and above print in hex, as RtlConvertSidToUnicodeString does.
    var description: String {
        let authorityText = authority >= 1 << 32 ? "0x" + String(authority, radix: 16, uppercase: true) : String(authority)
        return (["S-1", authorityText] + subAuthorities.map { String($0) }).joined(separator: "-")
    }

    static let null = SidValue(0, [0])
    static let world = SidValue(1, [0])
    static let local = SidValue(2, [0])
    static let creatorOwner = SidValue(3, [0])
    static let creatorGroup = SidValue(3, [1])
    static let ntAuthority = SidValue(5, [])
    static let dialup = SidValue(5, [1])
    static let network = SidValue(5, [2])
    static let batch = SidValue(5, [3])
    static let interactive = SidValue(5, [4])
    static let service = SidValue(5, [6])
    static let anonymous = SidValue(5, [7])
    static let authenticatedUsers = SidValue(5, [11])
    static let restricted = SidValue(5, [12])
    static let localSystem = SidValue(5, [18])
    static let localService = SidValue(5, [19])
    static let networkService = SidValue(5, [20])
    static let administrators = SidValue(5, [32, 544])
    static let users = SidValue(5, [32, 545])
    static let guests = SidValue(5, [32, 546])
    static let powerUsers = SidValue(5, [32, 547])
    static let accountOps = SidValue(5, [32, 548])
    static let systemOps = SidValue(5, [32, 549])
    static let printOps = SidValue(5, [32, 550])
    static let backupOps = SidValue(5, [32, 551])
    static let untrustedLabel = SidValue(16, [0])
    static let lowLabel = SidValue(16, [4096])
    static let mediumLabel = SidValue(16, [8192])
    static let highLabel = SidValue(16, [12288])
    static let systemLabel = SidValue(16, [16384])
    static let ownerRights = SidValue(3, [4])
    static let allAppPackages = SidValue(15, [2, 1])
    static let userModeDrivers = SidValue(5, [84, 0, 0, 0, 0, 0])
    static let trustedInstaller = SidValue(5, [80, 956_008_885, 3_418_522_649, 1_831_038_044, 1_853_292_631, 2_271_478_464])
    /// The interactive user of the model (explorer.exe, notepad.exe).
    static let interactiveUser = SidValue(5, [21, 1_004_336_348, 1_177_238_915, 682_003_330, 1001])
    static let noneGroup = SidValue(5, [21, 1_004_336_348, 1_177_238_915, 682_003_330, 513])
}

extension Kernel {
    /// `text` as NUL-terminated UTF-16LE bytes.
    static func obWideBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for unit in text.utf16 { bytes.append(UInt8(unit & 0xFF)); bytes.append(UInt8(unit >> 8)) }
        return bytes + [0, 0]
    }

    /// Reads a SID at `address`; nil when its revision is not 1 or it has more than 15 sub-authorities.
    func readSid(_ address: UInt64) throws -> SidValue? {
        guard address != 0 else { return nil }
        let header = try readBytes(address, count: 8)
        guard header[0] == 1, Int(header[1]) <= Layout.Sid.maxSubAuthorities else { return nil }
        let authority = header[2...7].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let subs = try (0..<Int(header[1])).map { try readU32(address &+ 8 &+ UInt64($0 * 4)) }
        return SidValue(authority, subs)
    }

    /// Writes a SID into kernel memory of its own; returns its address.
    func makeSid(_ sid: SidValue, name: String = "SID") throws -> UInt64 {
        let address = try heap.allocate(sid.length, name: name)
        try writeBytes(address, sid.bytes)
        return address
    }
}
