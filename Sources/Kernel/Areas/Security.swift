/// The kernel model's security descriptors, SIDs, ACLs, tokens and access states (Rtl*SecurityDescriptor, Rtl*Sid, RtlCreateAcl, RtlAddAccessAllowedAce, Se*, ZwOpenProcessTokenEx, ZwQueryInformationToken, …).
///
/// Descriptors and ACLs live in guest memory and are parsed on every call
/// (absolute or self-relative, revision 1, ACL revisions 2–4); the
/// descriptors set on objects (ZwSetSecurityObject) are kept per object as
/// self-relative bytes. Tokens are the ObjectModel's (one primary token per
/// process: SYSTEM for session 0, the unelevated interactive user otherwise).
enum SecurityArea {
    static let handlers: [KernelExport] = descriptorHandlers
         + aclHandlers
         + sidHandlers
         + tokenHandlers
         + objectSecurityHandlers

    static let descriptorHandlers: [KernelExport] = [
        .ntoskrnl("RtlCreateSecurityDescriptor") { call in
            let sd = try call.arg(0)
            guard try call.arg32(1) == 1 else { return UInt64(NTStatus.unknownRevision) }
            try call.kernel.fill(sd, count: Layout.SecurityDescriptor.absoluteSize)
            try call.kernel.writeU8(sd, 1)
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("RtlSetDaclSecurityDescriptor") { call in
            try setAcl(call, present: Layout.SecurityDescriptor.daclPresent, defaulted: Layout.SecurityDescriptor.daclDefaulted,
                       offset: Layout.SecurityDescriptor.dacl)
        },
        .ntoskrnl("RtlSetSaclSecurityDescriptor") { call in
            try setAcl(call, present: Layout.SecurityDescriptor.saclPresent, defaulted: Layout.SecurityDescriptor.saclDefaulted,
                       offset: Layout.SecurityDescriptor.sacl)
        },
        .ntoskrnl("RtlSetOwnerSecurityDescriptor") { try setSid($0, offset: Layout.SecurityDescriptor.owner, defaulted: Layout.SecurityDescriptor.ownerDefaulted) },
        .ntoskrnl("RtlSetGroupSecurityDescriptor") { try setSid($0, offset: Layout.SecurityDescriptor.group, defaulted: Layout.SecurityDescriptor.groupDefaulted) },
        .ntoskrnl("RtlGetDaclSecurityDescriptor") { try getAcl($0, sacl: false) },
        .ntoskrnl("RtlGetSaclSecurityDescriptor") { try getAcl($0, sacl: true) },
        .ntoskrnl("RtlGetOwnerSecurityDescriptor") { try getSid($0, group: false) },
        .ntoskrnl("RtlGetGroupSecurityDescriptor") { try getSid($0, group: true) },
        .ntoskrnl("RtlLengthSecurityDescriptor") { call in
            guard let parts = try call.kernel.readDescriptor(try call.arg(0)) else { return 0 }
            return UInt64(parts.absoluteLength)
        },
        .ntoskrnl("RtlAbsoluteToSelfRelativeSD") { try absoluteToSelfRelative($0) },
        .ntoskrnl("RtlMakeSelfRelativeSD") { try absoluteToSelfRelative($0, allowRelative: true) },
        .ntoskrnl("RtlValidSecurityDescriptor") { call in try call.kernel.readDescriptor(try call.arg(0))?.valid == true ? 1 : 0 },
        .ntoskrnl("RtlValidRelativeSecurityDescriptor") { call in
            let sd = try call.arg(0), length = Int(try call.arg32(1)), required = try call.arg32(2)
            guard length >= Layout.SecurityDescriptor.relativeSize, let parts = try? call.kernel.readDescriptor(sd),
                  parts.selfRelative, parts.valid, parts.selfRelativeBytes.count <= length else { return 0 }
            if required & 1 != 0, parts.owner == nil { return 0 } // OWNER_SECURITY_INFORMATION
            if required & 2 != 0, parts.group == nil { return 0 } // GROUP_SECURITY_INFORMATION
            return 1
        },
        .ntoskrnl("SeCaptureSecurityDescriptor") { try capture($0) },
        .ntoskrnl("SeReleaseSecurityDescriptor") { call in
            let captured = try call.arg(0), mode = try call.arg32(1) & 0xFF, force = try call.arg32(2) & 0xFF != 0
            if captured != 0, mode != 0 || force { call.kernel.freePool(captured) }
            return 0
        },
    ]

    /// RtlSetDacl/SaclSecurityDescriptor(SD, Present, Acl, Defaulted).
    static func setAcl(_ call: KernelCall, present: UInt16, defaulted: UInt16, offset: Int) throws -> UInt64 {
        let kernel = call.kernel, sd = try call.arg(0)
        let isPresent = try call.arg32(1) & 0xFF != 0, acl = try call.arg(2), isDefaulted = try call.arg32(3) & 0xFF != 0
        guard try kernel.readU8(sd) == 1 else { return UInt64(NTStatus.unknownRevision) }
        var control = try kernel.readU16(sd &+ UInt64(Layout.SecurityDescriptor.control))
        guard control & Layout.SecurityDescriptor.selfRelative == 0 else { return UInt64(NTStatus.invalidSecurityDescr) }
        control &= ~(present | defaulted)
        if isPresent {
            control |= present | (isDefaulted ? defaulted : 0)
            try kernel.writeU64(sd &+ UInt64(offset), acl)
        } else {
            try kernel.writeU64(sd &+ UInt64(offset), 0)
        }
        try kernel.writeU16(sd &+ UInt64(Layout.SecurityDescriptor.control), control)
        return UInt64(NTStatus.success)
    }

    /// RtlSetOwner/GroupSecurityDescriptor(SD, Sid, Defaulted).
    static func setSid(_ call: KernelCall, offset: Int, defaulted: UInt16) throws -> UInt64 {
        let kernel = call.kernel, sd = try call.arg(0), sid = try call.arg(1), isDefaulted = try call.arg32(2) & 0xFF != 0
        guard try kernel.readU8(sd) == 1 else { return UInt64(NTStatus.unknownRevision) }
        var control = try kernel.readU16(sd &+ UInt64(Layout.SecurityDescriptor.control))
        guard control & Layout.SecurityDescriptor.selfRelative == 0 else { return UInt64(NTStatus.invalidSecurityDescr) }
        control = (control & ~defaulted) | (isDefaulted ? defaulted : 0)
        try kernel.writeU64(sd &+ UInt64(offset), sid)
        try kernel.writeU16(sd &+ UInt64(Layout.SecurityDescriptor.control), control)
        return UInt64(NTStatus.success)
    }

    /// RtlGetDacl/SaclSecurityDescriptor(SD, *Present, *Acl, *Defaulted).
    static func getAcl(_ call: KernelCall, sacl: Bool) throws -> UInt64 {
        let kernel = call.kernel, sd = try call.arg(0)
        let presentOut = try call.arg(1), aclOut = try call.arg(2), defaultedOut = try call.arg(3)
        guard let parts = try kernel.readDescriptor(sd) else { return UInt64(NTStatus.unknownRevision) }
        typealias S = Layout.SecurityDescriptor
        let present = parts.control & (sacl ? S.saclPresent : S.daclPresent) != 0
        try kernel.writeU8(presentOut, present ? 1 : 0)
        if present {
            try kernel.writeU64(aclOut, sacl ? parts.saclAddress : parts.daclAddress)
            try kernel.writeU8(defaultedOut, parts.control & (sacl ? S.saclDefaulted : S.daclDefaulted) != 0 ? 1 : 0)
        }
        return UInt64(NTStatus.success)
    }

    /// RtlGetOwner/GroupSecurityDescriptor(SD, *Sid, *Defaulted).
    static func getSid(_ call: KernelCall, group: Bool) throws -> UInt64 {
        let kernel = call.kernel, sd = try call.arg(0), sidOut = try call.arg(1), defaultedOut = try call.arg(2)
        guard let parts = try kernel.readDescriptor(sd) else { return UInt64(NTStatus.unknownRevision) }
        typealias S = Layout.SecurityDescriptor
        try kernel.writeU64(sidOut, group ? parts.groupAddress : parts.ownerAddress)
        try kernel.writeU8(defaultedOut, parts.control & (group ? S.groupDefaulted : S.ownerDefaulted) != 0 ? 1 : 0)
        return UInt64(NTStatus.success)
    }

    /// RtlAbsoluteToSelfRelativeSD(AbsoluteSD, SelfRelativeSD, *BufferLength).
    static func absoluteToSelfRelative(_ call: KernelCall, allowRelative: Bool = false) throws -> UInt64 {
        let kernel = call.kernel, source = try call.arg(0), target = try call.arg(1), lengthPointer = try call.arg(2)
        guard let parts = try kernel.readDescriptor(source) else { return UInt64(NTStatus.unknownRevision) }
        guard allowRelative || !parts.selfRelative else { return UInt64(NTStatus.badDescriptorFormat) }
        let bytes = parts.selfRelativeBytes
        let available = try kernel.readU32(lengthPointer)
        guard Int(available) >= bytes.count else {
            try kernel.writeU32(lengthPointer, UInt32(bytes.count))
            return UInt64(NTStatus.bufferTooSmall)
        }
        try kernel.writeBytes(target, bytes)
        return UInt64(NTStatus.success)
    }

    /// SeCaptureSecurityDescriptor(InputSD, RequestorMode, PoolType, ForceCapture, *OutputSD).
    static func capture(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, input = try call.arg(0), mode = try call.arg32(1) & 0xFF
        let poolType = try call.arg(2) & 0xFFFF_FFFF, force = try call.arg32(3) & 0xFF != 0, out = try call.arg(4)
        guard input != 0 else {
            try kernel.writeU64(out, 0)
            return UInt64(NTStatus.success)
        }
        if mode == 0, !force {
            try kernel.writeU64(out, input)
            return UInt64(NTStatus.success)
        }
        guard let parts = try kernel.readDescriptor(input) else { return UInt64(NTStatus.unknownRevision) }
        guard parts.valid else { return UInt64(NTStatus.invalidSecurityDescr) }
        let bytes = parts.selfRelativeBytes
        let copy = try kernel.allocatePool(size: UInt64(bytes.count), tag: 0x6453_6553, poolType: poolType, executable: false)
        guard copy != 0 else { return UInt64(NTStatus.insufficientResources) }
        try kernel.writeBytes(copy, bytes)
        try kernel.writeU64(out, copy)
        return UInt64(NTStatus.success)
    }
}
