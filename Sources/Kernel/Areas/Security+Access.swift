/// Subject contexts, access states and access checks (SeCaptureSubjectContext,
/// SeCreateAccessState, SeAccessCheck, SeSinglePrivilegeCheck, SePrivilegeCheck),
/// and object security (ZwSet/QuerySecurityObject, ObGet/ReleaseObjectSecurity).
extension SecurityArea {
    static let subjectHandlers: [KernelExport] = [
        .ntoskrnl("SeCaptureSubjectContext") { call in
            try captureSubject(call.kernel, into: call.arg(0), process: call.kernel.obCurrentProcess())
            return 0
        },
        .ntoskrnl("SeCaptureSubjectContextEx") { call in
            let process = try call.arg(1)
            try captureSubject(call.kernel, into: call.arg(2), process: process == 0 ? call.kernel.obCurrentProcess() : process)
            return 0
        },
        .ntoskrnl("SeReleaseSubjectContext") { _ in 0 }.stub("subject contexts hold no references in the model"),
        .ntoskrnl("SeLockSubjectContext") { _ in 0 }.stub("one thread: subject contexts need no lock"),
        .ntoskrnl("SeUnlockSubjectContext") { _ in 0 }.stub("one thread: subject contexts need no lock"),
        .ntoskrnl("SeCreateAccessState") { try createAccessState($0) },
        .ntoskrnl("SeDeleteAccessState") { _ in 0 }.stub("access states hold no references in the model"),
        .ntoskrnl("SeAccessCheck") { try accessCheck($0) },
        .ntoskrnl("SeSinglePrivilegeCheck") { call in
            guard try call.arg32(1) & 0xFF != 0 else { return 1 } // KernelMode
            let token = try currentToken(call.kernel)
            return token?.privileges.contains { UInt64($0.luid) == (try? call.arg(0)) && $0.attributes & 0x2 != 0 } == true ? 1 : 0
        },
        .ntoskrnl("SePrivilegeCheck") { try privilegeCheck($0) },
    ]

    static let objectSecurityHandlers: [KernelExport] = [
        .ntoskrnl("ZwSetSecurityObject") { try setSecurity($0) },
        .ntoskrnl("NtSetSecurityObject") { try setSecurity($0) },
        .ntoskrnl("ZwQuerySecurityObject") { try querySecurity($0) },
        .ntoskrnl("NtQuerySecurityObject") { try querySecurity($0) },
        .ntoskrnl("ObGetObjectSecurity") { call in
            let kernel = call.kernel, object = try call.arg(0), out = try call.arg(1), allocated = try call.arg(2)
            let bytes = kernel.securityState.descriptors[object]?.selfRelativeBytes ?? DescriptorParts.defaultObject.selfRelativeBytes
            let copy = try kernel.allocatePool(size: UInt64(bytes.count), tag: 0x6453_624F, poolType: 1, executable: false)
            guard copy != 0 else { return UInt64(NTStatus.insufficientResources) }
            try kernel.writeBytes(copy, bytes)
            try kernel.writeU64(out, copy)
            try kernel.writeU8(allocated, 1)
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("ObReleaseObjectSecurity") { call in
            if try call.arg32(1) & 0xFF != 0 { call.kernel.freePool(try call.arg(0)) }
            return 0
        },
    ]

    final class SecurityState {
        /// Descriptors set with ZwSetSecurityObject, by object.
        var descriptors: [UInt64: DescriptorParts] = [:]
        var nextOperationId: UInt64 = 0x4_0000
    }

    static func currentToken(_ kernel: Kernel) throws -> ObjectModel.Token? {
        let model = try kernel.obModel()
        guard let token = model.process(at: try kernel.obCurrentProcess())?.token else { return nil }
        return model.tokens[token]
    }

    /// SECURITY_SUBJECT_CONTEXT: no client token, the process's primary token.
    static func captureSubject(_ kernel: Kernel, into context: UInt64, process: UInt64) throws {
        typealias S = Layout.SubjectContext
        let token = try kernel.obModel().process(at: process)?.token ?? 0
        try kernel.fill(context, count: S.size)
        try kernel.writeU64(context &+ UInt64(S.primaryToken), token)
        try kernel.writeU64(context &+ UInt64(S.processAuditId), process)
    }

    /// SeCreateAccessState(AccessState, AuxData, DesiredAccess, GenericMapping).
    static func createAccessState(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, state = try call.arg(0), aux = try call.arg(1), mapping = try call.arg(3)
        typealias A = Layout.AccessState
        let desired = try mapGeneric(kernel, try call.arg32(2), mapping: mapping)
        try kernel.fill(state, count: A.size)
        let security = kernel.securityState
        try kernel.writeU64(state &+ UInt64(A.operationId), security.nextOperationId)
        security.nextOperationId &+= 1
        try kernel.writeU32(state &+ UInt64(A.remainingDesiredAccess), desired)
        try kernel.writeU32(state &+ UInt64(A.originalDesiredAccess), desired)
        try captureSubject(kernel, into: state &+ UInt64(A.subjectSecurityContext), process: kernel.obCurrentProcess())
        try kernel.writeU64(state &+ UInt64(A.auxData), aux)
        if aux != 0, mapping != 0 {
            try kernel.writeBytes(aux &+ UInt64(A.auxGenericMapping), try kernel.readBytes(mapping, count: 16))
        }
        return UInt64(NTStatus.success)
    }

    /// SeAccessCheck(SecurityDescriptor, SubjectSecurityContext, SubjectContextLocked, DesiredAccess,
    ///               PreviouslyGrantedAccess, *Privileges, GenericMapping, AccessMode, *GrantedAccess, *AccessStatus).
    static func accessCheck(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let sd = try call.arg(0), subject = try call.arg(1), previously = try call.arg32(4), privilegesOut = try call.arg(5)
        let mapping = try call.arg(6), mode = try call.arg32(7) & 0xFF, grantedOut = try call.arg(8), statusOut = try call.arg(9)
        let maximumAllowed: UInt32 = 0x0200_0000
        var desired = try mapGeneric(kernel, try call.arg32(3), mapping: mapping)
        let all = try mapGeneric(kernel, 0x1000_0000, mapping: mapping)
        if privilegesOut != 0 { try kernel.writeU64(privilegesOut, 0) }
        func finish(_ granted: UInt32?) throws -> UInt64 {
            try kernel.writeU32(grantedOut, granted ?? 0)
            try kernel.writeU32(statusOut, granted == nil ? NTStatus.accessDenied : NTStatus.success)
            call.note(granted.map { "granted 0x\(String($0, radix: 16))" } ?? "access denied")
            return granted == nil ? 0 : 1
        }
        if mode == 0 { // KernelMode: no check
            return try finish((desired & maximumAllowed != 0 ? all : desired & ~maximumAllowed) | previously)
        }
        let client = subject == 0 ? 0 : try kernel.readU64(subject &+ UInt64(Layout.SubjectContext.clientToken))
        let primary = subject == 0 ? 0 : try kernel.readU64(subject &+ UInt64(Layout.SubjectContext.primaryToken))
        let fallback = try currentToken(kernel)
        guard let token = model.tokens[client != 0 ? client : primary] ?? fallback else { return try finish(nil) }
        let enabled = Set([token.user] + token.groups.filter { $0.attributes & 0x14 == 0x4 }.map(\.sid))
        let denyOnly = Set(token.groups.filter { $0.attributes & 0x10 != 0 }.map(\.sid))
        guard let parts = try kernel.readDescriptor(sd) else { return try finish(nil) }
        let wantsMaximum = desired & maximumAllowed != 0
        desired &= ~maximumAllowed
        if desired & 0x0100_0000 != 0, !token.privileges.contains(where: { $0.luid == 8 && $0.attributes & 2 != 0 }) {
            return try finish(nil) // ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege
        }
        guard parts.control & Layout.SecurityDescriptor.daclPresent != 0, let dacl = parts.dacl else {
            return try finish((wantsMaximum ? all : desired) | previously) // no DACL: everything
        }
        var granted = previously, denied: UInt32 = 0
        if let owner = parts.owner, enabled.contains(where: { $0.bytes == owner }) { granted |= 0x6_0000 } // READ_CONTROL|WRITE_DAC
        var offset = Layout.Acl.headerSize
        for _ in 0..<min(Int(dacl[4]) | Int(dacl[5]) << 8, 1024) {
            guard offset &+ 8 <= dacl.count else { break }
            let type = dacl[offset], size = Int(dacl[offset &+ 2]) | Int(dacl[offset &+ 3]) << 8
            guard size >= 8, offset + size <= dacl.count else { break }
            let mask = try mapGeneric(kernel, dacl[offset &+ 4..<offset &+ 8].reversed().reduce(0) { $0 << 8 | UInt32($1) },
                                      mapping: mapping)
            let sidBytes = Array(dacl[offset &+ 8..<offset + size])
            let isInherit = dacl[offset &+ 1] & 0x8 != 0 // INHERIT_ONLY_ACE
            if !isInherit, type == 0, enabled.contains(where: { $0.bytes == sidBytes }) { granted |= mask & ~denied }
            if !isInherit, type == 1, (enabled.union(denyOnly)).contains(where: { $0.bytes == sidBytes }) { denied |= mask & ~granted }
            offset += size
        }
        if wantsMaximum { return try finish(granted == 0 && desired == 0 ? nil : granted) }
        return try finish(desired & ~granted == 0 ? desired | previously : nil)
    }

    /// SePrivilegeCheck(RequiredPrivileges, SubjectSecurityContext, AccessMode) -> BOOLEAN.
    static func privilegeCheck(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, set = try call.arg(0), mode = try call.arg32(2) & 0xFF
        let count = Int(min(try kernel.readU32(set), 64)), all = try kernel.readU32(set &+ 4) & 1 != 0
        let token = try currentToken(kernel)
        var held = 0
        for index in 0..<count {
            let entry = set &+ 8 &+ UInt64(index * 12)
            let luid = try kernel.readU64(entry)
            let has = mode == 0 || token?.privileges.contains { UInt64($0.luid) == luid && $0.attributes & 2 != 0 } == true
            if has {
                held += 1
                try kernel.writeU32(entry &+ 8, try kernel.readU32(entry &+ 8) | 0x8000_0000) // SE_PRIVILEGE_USED_FOR_ACCESS
            }
        }
        return (all ? held == count : held > 0 || count == 0) ? 1 : 0
    }

    /// ZwSetSecurityObject(Handle, SecurityInformation, SecurityDescriptor).
    static func setSecurity(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, information = try call.arg32(1), sd = try call.arg(2)
        guard let resolved = try kernel.obResolve(try call.arg(0)) else { return UInt64(NTStatus.invalidHandle) }
        guard let parts = try kernel.readDescriptor(sd) else { return UInt64(NTStatus.unknownRevision) }
        guard parts.valid else { return UInt64(NTStatus.invalidSecurityDescr) }
        guard information & 0xF != 0 else { return UInt64(NTStatus.invalidParameter) }
        let security = kernel.securityState
        let existing = security.descriptors[resolved.object] ?? DescriptorParts.defaultObject
        security.descriptors[resolved.object] = existing.merging(parts, information)
        call.note("\(resolved.kind) 0x\(String(resolved.object, radix: 16)), information 0x\(String(information, radix: 16))")
        return UInt64(NTStatus.success)
    }

    /// ZwQuerySecurityObject(Handle, SecurityInformation, SecurityDescriptor, Length, *LengthNeeded).
    static func querySecurity(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, information = try call.arg32(1), sd = try call.arg(2)
        let length = Int(try call.arg32(3)), needed = try call.arg(4)
        guard let resolved = try kernel.obResolve(try call.arg(0)) else { return UInt64(NTStatus.invalidHandle) }
        let parts = (kernel.securityState.descriptors[resolved.object] ?? DescriptorParts.defaultObject).filtered(information)
        let bytes = parts.selfRelativeBytes
        try kernel.writeU32(needed, UInt32(bytes.count))
        guard length >= bytes.count else { return UInt64(NTStatus.bufferTooSmall) }
        try kernel.writeBytes(sd, bytes)
        return UInt64(NTStatus.success)
    }
}

extension Kernel {
    var securityState: SecurityArea.SecurityState { state(SecurityArea.SecurityState.self) { SecurityArea.SecurityState() } }
}
