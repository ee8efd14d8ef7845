/// SIDs, ACLs and generic mappings: Rtl*Sid, RtlCreateAcl, RtlAdd*Ace, RtlGetAce,
/// RtlMapGenericMask, IoGetFileObjectGenericMapping.
extension SecurityArea {
    static let sidHandlers: [KernelExport] = [
        .ntoskrnl("RtlLengthSid") { call in UInt64(8 &+ 4 * Int(try call.kernel.readU8(try call.arg(0) &+ 1))) },
        .ntoskrnl("RtlLengthRequiredSid") { call in UInt64(8 &+ 4 &* UInt64(try call.arg32(0))) & 0xFFFF_FFFF },
        .ntoskrnl("RtlInitializeSid") { call in
            let kernel = call.kernel, sid = try call.arg(0), authority = try call.arg(1), count = try call.arg32(2) & 0xFF
            guard count <= UInt32(Layout.Sid.maxSubAuthorities) else { return UInt64(NTStatus.invalidParameter) }
            try kernel.writeBytes(sid, [1, UInt8(count)] + (try kernel.readBytes(authority, count: 6)))
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("RtlSubAuthoritySid") { call in try call.arg(0) &+ 8 &+ 4 &* UInt64(try call.arg32(1)) },
        .ntoskrnl("RtlSubAuthorityCountSid") { call in try call.arg(0) &+ 1 },
        .ntoskrnl("RtlIdentifierAuthoritySid") { call in try call.arg(0) &+ 2 },
        .ntoskrnl("RtlValidSid") { call in try call.kernel.readSid(try call.arg(0)) != nil ? 1 : 0 },
        .ntoskrnl("RtlEqualSid") { call in
            guard let a = try call.kernel.readSid(try call.arg(0)), let b = try call.kernel.readSid(try call.arg(1)) else { return 0 }
            return a == b ? 1 : 0
        },
        .ntoskrnl("RtlEqualPrefixSid") { call in
            guard let a = try call.kernel.readSid(try call.arg(0)), let b = try call.kernel.readSid(try call.arg(1)),
                  a.subAuthorities.count == b.subAuthorities.count else { return 0 }
            return a.authority == b.authority && a.subAuthorities.dropLast() == b.subAuthorities.dropLast() ? 1 : 0
        },
        .ntoskrnl("RtlCopySid") { call in
            let kernel = call.kernel, length = Int(try call.arg32(0)), destination = try call.arg(1)
            let source = try call.arg(2)
            let count = Int(try kernel.readU8(source &+ 1)), needed = 8 &+ 4 * count
            guard length >= needed else { return UInt64(NTStatus.bufferTooSmall) }
            try kernel.writeBytes(destination, try kernel.readBytes(source, count: needed))
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("RtlConvertSidToUnicodeString") { try sidToString($0) },
    ]

    static let aclHandlers: [KernelExport] = [
        .ntoskrnl("RtlCreateAcl") { call in
            let kernel = call.kernel, acl = try call.arg(0), length = try call.arg32(1), revision = try call.arg32(2)
            guard length >= UInt32(Layout.Acl.headerSize) else { return UInt64(NTStatus.bufferTooSmall) }
            guard (UInt32(Layout.Acl.minRevision)...UInt32(Layout.Acl.maxRevision)).contains(revision),
                  length <= 0xFFFF else { return UInt64(NTStatus.invalidParameter) }
            let size = min((length &+ 3) & ~3, 0xFFFC)
            try kernel.writeBytes(acl, [UInt8(revision), 0, UInt8(size & 0xFF), UInt8(size >> 8), 0, 0, 0, 0])
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("RtlAddAccessAllowedAce") { try addAce($0, type: 0, flags: 0, mask: $0.arg32(2), sid: $0.arg(3)) },
        .ntoskrnl("RtlAddAccessAllowedAceEx") { try addAce($0, type: 0, flags: $0.arg32(2), mask: $0.arg32(3), sid: $0.arg(4)) },
        .ntoskrnl("RtlAddAccessDeniedAce") { try addAce($0, type: 1, flags: 0, mask: $0.arg32(2), sid: $0.arg(3)) },
        .ntoskrnl("RtlAddAccessDeniedAceEx") { try addAce($0, type: 1, flags: $0.arg32(2), mask: $0.arg32(3), sid: $0.arg(4)) },
        .ntoskrnl("RtlGetAce") { call in
            let kernel = call.kernel, acl = try call.arg(0), index = Int(try call.arg32(1)), out = try call.arg(2)
            guard let bytes = try kernel.aclBytes(acl), index < Int(try kernel.readU16(acl &+ 4)) else {
                return UInt64(NTStatus.invalidParameter)
            }
            var offset = Layout.Acl.headerSize
            for _ in 0..<index { offset += Int(bytes[offset &+ 2]) | Int(bytes[offset &+ 3]) << 8 }
            try kernel.writeU64(out, acl &+ UInt64(offset))
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("RtlValidAcl") { call in try call.kernel.aclBytes(try call.arg(0)) != nil ? 1 : 0 },
        .ntoskrnl("RtlMapGenericMask") { call in
            let mask = try call.arg(0)
            try call.kernel.writeU32(mask, try mapGeneric(call.kernel, try call.kernel.readU32(mask), mapping: call.arg(1)))
            return 0
        },
        .ntoskrnl("IoGetFileObjectGenericMapping") { call in
            let state = call.kernel.state(FileMappingHolder.self) { FileMappingHolder() }
            if state.address == 0 {
                state.address = try call.kernel.heap.allocate(16, name: "IopFileMapping")
                // FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS.
                for (index, value) in [UInt32(0x12_0089), 0x12_0116, 0x12_00A0, 0x1F_01FF].enumerated() {
                    try call.kernel.writeU32(state.address &+ UInt64(index * 4), value)
                }
            }
            return state.address
        },
    ]

    final class FileMappingHolder { var address: UInt64 = 0 }

    /// GENERIC_READ/WRITE/EXECUTE/ALL mapped through a GENERIC_MAPPING (none: unchanged).
    static func mapGeneric(_ kernel: Kernel, _ mask: UInt32, mapping: UInt64) throws -> UInt32 {
        guard mapping != 0 else { return mask }
        var result = mask & 0x0FFF_FFFF
        for (bit, index) in [(UInt32(0x8000_0000), 0), (0x4000_0000, 1), (0x2000_0000, 2), (0x1000_0000, 3)] where mask & bit != 0 {
            result |= try kernel.readU32(mapping &+ UInt64(index * 4))
        }
        return result
    }

    /// RtlAddAccessAllowed/DeniedAce(Ex)(Acl, AceRevision, [AceFlags,] AccessMask, Sid): appended after the last ACE.
    static func addAce(_ call: KernelCall, type: UInt8, flags: UInt32, mask: UInt32, sid: UInt64) throws -> UInt64 {
        let kernel = call.kernel, acl = try call.arg(0), revision = try call.arg32(1)
        guard let value = try kernel.readSid(sid) else { return UInt64(NTStatus.invalidSid) }
        guard flags & ~0x1F == 0 else { return UInt64(NTStatus.invalidParameter) }
        guard revision <= UInt32(Layout.Acl.maxRevision) else { return UInt64(NTStatus.unknownRevision) }
        guard let bytes = try kernel.aclBytes(acl) else { return UInt64(NTStatus.invalidAcl) }
        let count = Int(try kernel.readU16(acl &+ UInt64(Layout.Acl.aceCount)))
        guard count < 0xFFFF else { return UInt64(NTStatus.allottedSpaceExceeded) }
        var end = Layout.Acl.headerSize
        for _ in 0..<count { end += Int(bytes[end &+ 2]) | Int(bytes[end &+ 3]) << 8 }
        let ace = DescriptorParts.ace(type: type, flags: UInt8(flags), mask: mask, sid: value)
        guard end + ace.count <= bytes.count else { return UInt64(NTStatus.allottedSpaceExceeded) }
        try kernel.writeBytes(acl &+ UInt64(end), ace)
        try kernel.writeU16(acl &+ UInt64(Layout.Acl.aceCount), UInt16(count &+ 1))
        if UInt8(truncatingIfNeeded: revision) > bytes[0] { try kernel.writeU8(acl, UInt8(revision)) }
        call.note("\(type == 0 ? "allow" : "deny") 0x\(String(mask, radix: 16)) to \(value)")
        return UInt64(NTStatus.success)
    }

    /// RtlConvertSidToUnicodeString(UnicodeString, Sid, AllocateDestinationString).
    static func sidToString(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, string = try call.arg(0), allocate = try call.arg32(2) & 0xFF != 0
        guard let sid = try kernel.readSid(try call.arg(1)) else { return UInt64(NTStatus.invalidSid) }
        let text = sid.description, units = Array(text.utf16), length = units.count * 2
        let bytes: [UInt8] = units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0, 0]
        var buffer: UInt64
        if allocate {
            buffer = try kernel.allocatePool(size: UInt64(bytes.count), tag: 0x6772_7453, poolType: 1, executable: false)
            guard buffer != 0 else { return UInt64(NTStatus.noMemory) }
        } else {
            guard Int(try kernel.readU16(string &+ UInt64(Layout.UnicodeString.maximumLength))) >= length &+ 2 else {
                return UInt64(NTStatus.bufferOverflow)
            }
            buffer = try kernel.readU64(string &+ UInt64(Layout.UnicodeString.buffer))
        }
        try kernel.writeBytes(buffer, bytes)
        let maximum = allocate ? bytes.count : Int(try kernel.readU16(string &+ UInt64(Layout.UnicodeString.maximumLength)))
        try kernel.writeUnicodeStringHeader(string, buffer: buffer, length: length, maximumLength: maximum)
        call.note(text)
        return UInt64(NTStatus.success)
    }
}
