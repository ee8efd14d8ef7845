/// A security descriptor read from the guest: its control bits and the bytes
/// of each part, with the guest addresses the Rtl*Get* routines hand back.
struct DescriptorParts {
    var control: UInt16
    var selfRelative: Bool
    var owner: [UInt8]?
    var group: [UInt8]?
    var sacl: [UInt8]?
    var dacl: [UInt8]?
    var ownerAddress: UInt64 = 0, groupAddress: UInt64 = 0, saclAddress: UInt64 = 0, daclAddress: UInt64 = 0
    /// Every present part parsed (SIDs revision 1, ACLs well formed).
    var valid = true

    /// RtlLengthSecurityDescriptor: sizeof(SECURITY_DESCRIPTOR) plus each part rounded up to a ULONG.
    var absoluteLength: Int {
        Layout.SecurityDescriptor.absoluteSize + [owner, group, sacl, dacl].reduce(0) { $0 + (($1?.count ?? 0) &+ 3) & ~3 }
    }

    /// SECURITY_DESCRIPTOR_RELATIVE followed by the SACL, DACL, owner and group.
    var selfRelativeBytes: [UInt8] {
        typealias S = Layout.SecurityDescriptor
        var out = [UInt8](repeating: 0, count: S.relativeSize)
        out[0] = 1
        let flags = control | S.selfRelative
        out[2] = UInt8(flags & 0xFF)
        out[3] = UInt8(flags >> 8)
        for (part, offset) in [(sacl, S.relativeSacl), (dacl, S.relativeDacl), (owner, S.relativeOwner), (group, S.relativeGroup)] {
            guard let part else { continue }
            let at = UInt32(out.count)
            for index in 0..<4 { out[offset + index] = UInt8(truncatingIfNeeded: at >> (8 * UInt32(index))) }
            out += part + [UInt8](repeating: 0, count: (4 - part.count % 4) % 4)
        }
        return out
    }

    /// The parts `information` (OWNER 1, GROUP 2, DACL 4, SACL 8) asks for.
    func filtered(_ information: UInt32) -> DescriptorParts {
        typealias S = Layout.SecurityDescriptor
        var copy = self
        if information & 1 == 0 { copy.owner = nil; copy.control &= ~S.ownerDefaulted }
        if information & 2 == 0 { copy.group = nil; copy.control &= ~S.groupDefaulted }
        if information & 4 == 0 { copy.dacl = nil; copy.control &= ~(S.daclPresent | S.daclDefaulted) }
        if information & 8 == 0 { copy.sacl = nil; copy.control &= ~(S.saclPresent | S.saclDefaulted) }
        return copy
    }

    /// `self` with the parts `information` names taken from `other` (ZwSetSecurityObject).
    func merging(_ other: DescriptorParts, _ information: UInt32) -> DescriptorParts {
        typealias S = Layout.SecurityDescriptor
        var copy = self
        if information & 1 != 0 { copy.owner = other.owner }
        if information & 2 != 0 { copy.group = other.group }
        if information & 4 != 0 {
            copy.dacl = other.dacl
            copy.control = (copy.control & ~(S.daclPresent | S.daclDefaulted)) | (other.control & (S.daclPresent | S.daclDefaulted))
        }
        if information & 8 != 0 {
            copy.sacl = other.sacl
            copy.control = (copy.control & ~(S.saclPresent | S.saclDefaulted)) | (other.control & (S.saclPresent | S.saclDefaulted))
        }
        return copy
    }

    /// An ACCESS_ALLOWED_ACE (type 0) or ACCESS_DENIED_ACE (type 1).
    static func ace(type: UInt8, flags: UInt8 = 0, mask: UInt32, sid: SidValue) -> [UInt8] {
        let size = 8 + sid.length
        return [type, flags, UInt8(size & 0xFF), UInt8(size >> 8)]
            + (0..<4).map { UInt8(truncatingIfNeeded: mask >> (8 * UInt32($0))) } + sid.bytes
    }

    /// An ACL (revision 2) holding `aces`.
    static func acl(_ aces: [[UInt8]]) -> [UInt8] {
        let size = 8 + aces.reduce(0) { $0 + $1.count }
        return [2, 0, UInt8(size & 0xFF), UInt8(size >> 8), UInt8(aces.count), 0, 0, 0] + aces.flatMap { $0 }
    }

    /// What objects without a descriptor of their own report: owner Administrators, group SYSTEM,
    /// DACL granting SYSTEM and Administrators GENERIC_ALL, Everyone GENERIC_READ|GENERIC_EXECUTE.
    static var defaultObject: DescriptorParts {
        DescriptorParts(
            control: Layout.SecurityDescriptor.daclPresent, selfRelative: true,
            owner: SidValue.administrators.bytes, group: SidValue.localSystem.bytes, sacl: nil,
            dacl: acl([ace(type: 0, mask: 0x1000_0000, sid: .localSystem), ace(type: 0, mask: 0x1000_0000, sid: .administrators),
                       ace(type: 0, mask: 0xA000_0000, sid: .world)]))
    }
}

extension Kernel {
    /// The bytes of the SID at `address` (nil when it is not a revision-1 SID).
    func sidBytes(_ address: UInt64) throws -> [UInt8]? {
        try readSid(address)?.bytes
    }

    /// The bytes of a well-formed ACL at `address` (nil when malformed).
    func aclBytes(_ address: UInt64) throws -> [UInt8]? {
        typealias A = Layout.Acl
        let revision = try readU8(address &+ UInt64(A.revision))
        let size = Int(try readU16(address &+ UInt64(A.aclSize))), count = Int(try readU16(address &+ UInt64(A.aceCount)))
        guard (A.minRevision...A.maxRevision).contains(revision), size >= A.headerSize else { return nil }
        let bytes = try readBytes(address, count: size)
        var offset = A.headerSize
        for _ in 0..<count {
            guard offset &+ 4 <= size else { return nil }
            let aceSize = Int(bytes[offset &+ 2]) | Int(bytes[offset &+ 3]) << 8
            guard aceSize >= 4, offset + aceSize <= size else { return nil }
            offset += aceSize
        }
        return bytes
    }

    /// Parses the descriptor at `address`; nil when its revision is not 1.
    func readDescriptor(_ address: UInt64) throws -> DescriptorParts? {
        typealias S = Layout.SecurityDescriptor
        guard address != 0, try readU8(address &+ UInt64(S.revision)) == 1 else { return nil }
        let control = try readU16(address &+ UInt64(S.control))
        let relative = control & S.selfRelative != 0
        func pointer(_ absolute: Int, _ relativeOffset: Int) throws -> UInt64 {
            if relative {
                let offset = try readU32(address &+ UInt64(relativeOffset))
                return offset == 0 ? 0 : address &+ UInt64(offset)
            }
            return try readU64(address &+ UInt64(absolute))
        }
        var parts = DescriptorParts(control: control, selfRelative: relative)
        parts.ownerAddress = try pointer(S.owner, S.relativeOwner)
        parts.groupAddress = try pointer(S.group, S.relativeGroup)
        parts.saclAddress = control & S.saclPresent != 0 ? try pointer(S.sacl, S.relativeSacl) : 0
        parts.daclAddress = control & S.daclPresent != 0 ? try pointer(S.dacl, S.relativeDacl) : 0
        if parts.ownerAddress != 0 { parts.owner = try sidBytes(parts.ownerAddress); parts.valid = parts.valid && parts.owner != nil }
        if parts.groupAddress != 0 { parts.group = try sidBytes(parts.groupAddress); parts.valid = parts.valid && parts.group != nil }
        if parts.saclAddress != 0 { parts.sacl = try aclBytes(parts.saclAddress); parts.valid = parts.valid && parts.sacl != nil }
        if parts.daclAddress != 0 { parts.dacl = try aclBytes(parts.daclAddress); parts.valid = parts.valid && parts.dacl != nil }
        return parts
    }
}
