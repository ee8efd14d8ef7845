/// Tokens: PsReference*Token, ZwOpenProcess/ThreadToken(Ex), ZwQueryInformationToken,
/// SeQueryInformationToken, ZwDuplicateToken and the token predicates.
extension SecurityArea {
    static let tokenHandlers: [KernelExport] = subjectHandlers + tokenCore

    /// The model's token at argument `index` (nil when the pointer is not a token).
    static func token(_ call: KernelCall, _ index: Int) throws -> ObjectModel.Token? {
        let model = try call.kernel.obModel()
        return model.tokens[try call.arg(index)]
    }

    static let tokenCore: [KernelExport] = [
        .ntoskrnl("PsReferencePrimaryToken") { call in
            let kernel = call.kernel, process = try call.arg(0)
            guard let token = try kernel.obModel().process(at: process)?.token
                ?? kernel.obModel().process(at: kernel.processor.process)?.token else { return 0 }
            _ = try ObjectsArea.reference(call, token)
            return token
        },
        .ntoskrnl("PsDereferencePrimaryToken") { call in _ = try ObjectsArea.dereference(call, call.arg(0)); return 0 },
        .ntoskrnl("PsReferenceImpersonationToken") { _ in 0 }.stub("no thread impersonates in the model"), // no thread impersonates
        .ntoskrnl("PsDereferenceImpersonationToken") { call in
            if try call.arg(0) != 0 { _ = try ObjectsArea.dereference(call, call.arg(0)) }
            return 0
        },
        .ntoskrnl("PsReferenceEffectiveToken") { call in
            let kernel = call.kernel, model = try kernel.obModel()
            let thread = try call.arg(0), typeOut = try call.arg(1), effectiveOut = try call.arg(2), levelOut = try call.arg(3)
            let process = try kernel.readU64(thread &+ UInt64(Layout.EThread.process))
            guard let token = model.process(at: process)?.token else { return 0 }
            try kernel.writeU32(typeOut, 1)
            try kernel.writeU8(effectiveOut, 0)
            try kernel.writeU32(levelOut, 0)
            _ = try ObjectsArea.reference(call, token)
            return token
        },
        .ntoskrnl("ZwOpenProcessTokenEx") { try openProcessToken($0, handleOut: $0.arg(3)) },
        .ntoskrnl("NtOpenProcessTokenEx") { try openProcessToken($0, handleOut: $0.arg(3)) },
        .ntoskrnl("ZwOpenProcessToken") { try openProcessToken($0, handleOut: $0.arg(2)) },
        .ntoskrnl("NtOpenProcessToken") { try openProcessToken($0, handleOut: $0.arg(2)) },
        .ntoskrnl("ZwOpenThreadTokenEx") { try openThreadToken($0, handleOut: $0.arg(4)) },
        .ntoskrnl("NtOpenThreadTokenEx") { try openThreadToken($0, handleOut: $0.arg(4)) },
        .ntoskrnl("ZwOpenThreadToken") { try openThreadToken($0, handleOut: $0.arg(3)) },
        .ntoskrnl("NtOpenThreadToken") { try openThreadToken($0, handleOut: $0.arg(3)) },
        .ntoskrnl("ZwQueryInformationToken") { try queryToken($0) },
        .ntoskrnl("NtQueryInformationToken") { try queryToken($0) },
        .ntoskrnl("SeQueryInformationToken") { call in
            let kernel = call.kernel, token = try call.arg(0), infoClass = try call.arg32(1), out = try call.arg(2)
            guard let value = try kernel.obModel().tokens[token] else { return UInt64(NTStatus.invalidParameter) }
            guard let size = tokenInformation(value, infoClass: infoClass, base: 0)?.count else {
                return UInt64(NTStatus.invalidInfoClass)
            }
            let buffer = try kernel.allocatePool(size: UInt64(size), tag: 0x6B54_6553, poolType: 1, executable: false)
            guard buffer != 0, let bytes = tokenInformation(value, infoClass: infoClass, base: buffer) else {
                return UInt64(NTStatus.insufficientResources)
            }
            try kernel.writeBytes(buffer, bytes)
            try kernel.writeU64(out, buffer)
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("ZwDuplicateToken") { try duplicateToken($0) },
        .ntoskrnl("NtDuplicateToken") { try duplicateToken($0) },
        .ntoskrnl("SeTokenIsAdmin") { call in
            guard let token = try token(call, 0) else { return 0 }
            return token.groups.contains { $0.sid == .administrators && $0.attributes & 0x4 != 0 } ? 1 : 0
        },
        .ntoskrnl("SeTokenIsRestricted") { _ in 0 }.stub("no token is restricted in the model"),
        .ntoskrnl("SeTokenIsWriteRestricted") { _ in 0 }.stub("no token is restricted in the model"),
        .ntoskrnl("SeTokenType") { call in UInt64(try token(call, 0)?.type ?? 1) },
        .ntoskrnl("SeQueryAuthenticationIdToken") { call in
            guard let token = try token(call, 0) else { return UInt64(NTStatus.invalidParameter) }
            try call.kernel.writeU64(try call.arg(1), token.authenticationId)
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("SeQuerySessionIdToken") { call in
            guard let token = try token(call, 0) else { return UInt64(NTStatus.invalidParameter) }
            try call.kernel.writeU32(try call.arg(1), token.sessionId)
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("SeLocateProcessImageName") { try locateImageName($0) },
    ]

    /// SeLocateProcessImageName(Process, *ImageFileName): a pool UNICODE_STRING (freed with ExFreePool).
    static func locateImageName(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, out = try call.arg(1)
        guard let process = try kernel.obModel().process(at: try call.arg(0)) else { return UInt64(NTStatus.invalidParameter) }
        let bytes = Kernel.obWideBytes(process.imagePath)
        let size = Layout.UnicodeString.size + bytes.count
        let string = try kernel.allocatePool(size: UInt64(size), tag: 0x4950_6553, poolType: 1, executable: false)
        guard string != 0 else { return UInt64(NTStatus.insufficientResources) }
        let buffer = string &+ UInt64(Layout.UnicodeString.size)
        try kernel.writeBytes(buffer, bytes)
        let length = bytes.count - 2
        try kernel.writeUnicodeStringHeader(string, buffer: length == 0 ? 0 : buffer, length: length, maximumLength: bytes.count)
        try kernel.writeU64(out, string)
        return UInt64(NTStatus.success)
    }

    /// ZwOpenProcessToken(Ex)(ProcessHandle, DesiredAccess, [HandleAttributes,] *TokenHandle).
    static func openProcessToken(_ call: KernelCall, handleOut: UInt64) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel(), access = try call.arg32(1)
        guard let resolved = try kernel.obResolve(try call.arg(0)) else { return UInt64(NTStatus.invalidHandle) }
        guard resolved.kind == "Process" else { return UInt64(NTStatus.objectTypeMismatch) }
        guard let process = model.process(at: resolved.object) else { return UInt64(NTStatus.invalidHandle) }
        guard let handle = try kernel.obInsertHandle(kind: "Token", object: process.token, access: access) else {
            return UInt64(NTStatus.insufficientResources)
        }
        try kernel.writeU64(handleOut, handle)
        call.note("token of \(process.name)")
        return UInt64(NTStatus.success)
    }

    /// ZwOpenThreadToken(Ex)(ThreadHandle, DesiredAccess, OpenAsSelf, [HandleAttributes,] *TokenHandle).
    static func openThreadToken(_ call: KernelCall, handleOut: UInt64) throws -> UInt64 {
        let kernel = call.kernel
        guard let resolved = try kernel.obResolve(try call.arg(0)) else { return UInt64(NTStatus.invalidHandle) }
        guard resolved.kind == "Thread" else { return UInt64(NTStatus.objectTypeMismatch) }
        if handleOut != 0 { try kernel.writeU64(handleOut, 0) }
        return UInt64(NTStatus.noToken) // threads of the model do not impersonate
    }

    /// ZwQueryInformationToken(TokenHandle, TokenInformationClass, TokenInformation, Length, *ReturnLength).
    static func queryToken(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let infoClass = try call.arg32(1), info = try call.arg(2), length = Int(try call.arg32(3)), returnLength = try call.arg(4)
        guard let resolved = try kernel.obResolve(try call.arg(0)) else { return UInt64(NTStatus.invalidHandle) }
        guard resolved.kind == "Token", let token = model.tokens[resolved.object] else {
            return UInt64(NTStatus.objectTypeMismatch)
        }
        guard let bytes = tokenInformation(token, infoClass: infoClass, base: info) else {
            return UInt64(NTStatus.invalidInfoClass)
        }
        call.note("class \(infoClass), \(bytes.count) bytes")
        if returnLength != 0 { try kernel.writeU32(returnLength, UInt32(bytes.count)) }
        guard length >= bytes.count else { return UInt64(NTStatus.bufferTooSmall) }
        try kernel.writeBytes(info, bytes)
        return UInt64(NTStatus.success)
    }

    /// ZwDuplicateToken(ExistingTokenHandle, DesiredAccess, ObjectAttributes, EffectiveOnly, TokenType, *NewTokenHandle).
    static func duplicateToken(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let access = try call.arg32(1), attributes = try call.arg(2), type = try call.arg32(4), out = try call.arg(5)
        guard let resolved = try kernel.obResolve(try call.arg(0)) else { return UInt64(NTStatus.invalidHandle) }
        guard resolved.kind == "Token", var token = model.tokens[resolved.object] else {
            return UInt64(NTStatus.objectTypeMismatch)
        }
        guard type == 1 || type == 2 else { return UInt64(NTStatus.invalidParameter) }
        var level: UInt32 = 0
        if type == 2 {
            // SECURITY_QUALITY_OF_SERVICE.ImpersonationLevel; Anonymous 0 … Delegation 3.
            let qos = attributes == 0 ? 0 : try kernel.readU64(attributes &+ UInt64(Layout.ObjectAttributes.securityQualityOfService))
            level = qos == 0 ? 0 : try kernel.readU32(qos &+ 4)
            guard level <= 3 else { return UInt64(NTStatus.badImpersonationLevel) }
        }
        token.type = type
        token.impersonationLevel = level
        token.tokenId = model.nextTokenId
        model.nextTokenId &+= 0x101
        let copy = try kernel.obAllocate(kind: "Token", bodySize: 0x498)
        model.tokens[copy] = token
        guard let handle = try kernel.obInsertHandle(kind: "Token", object: copy, access: access) else {
            return UInt64(NTStatus.insufficientResources)
        }
        try kernel.writeU64(out, handle)
        return UInt64(NTStatus.success)
    }

    static func le(_ value: UInt64, _ size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// The bytes of a token information class as they would sit at `base` (pointers included); nil for
    /// classes the model does not answer.
    static func tokenInformation(_ token: ObjectModel.Token, infoClass: UInt32, base: UInt64) -> [UInt8]? {
        func sidAndAttributes(_ sid: SidValue, _ attributes: UInt32) -> [UInt8] {
            le(base &+ 0x10, 8) + le(UInt64(attributes), 4) + le(0, 4) + sid.bytes
        }
        switch infoClass {
        case 1: return sidAndAttributes(token.user, 0) // TokenUser
        case 2: // TokenGroups
            var headers = le(UInt64(token.groups.count), 4) + le(0, 4), sids: [UInt8] = []
            let sidsStart = UInt64(8 &+ 16 * token.groups.count)
            for group in token.groups {
                headers += le(base &+ sidsStart &+ UInt64(sids.count), 8) + le(UInt64(group.attributes), 4) + le(0, 4)
                sids += group.sid.bytes
            }
            return headers + sids
        case 3: // TokenPrivileges
            return le(UInt64(token.privileges.count), 4)
                + token.privileges.flatMap { le(UInt64($0.luid), 8) + le(UInt64($0.attributes), 4) }
        case 4: return le(base &+ 8, 8) + (token.type == 1 && token.user == .localSystem ? SidValue.administrators : token.user).bytes
        case 5: return le(base &+ 8, 8) + (token.user == .localSystem ? SidValue.localSystem : SidValue.noneGroup).bytes
        case 6: // TokenDefaultDacl
            return le(base &+ 8, 8) + DescriptorParts.acl([DescriptorParts.ace(type: 0, mask: 0x1000_0000, sid: token.user),
                                                          DescriptorParts.ace(type: 0, mask: 0x1000_0000, sid: .localSystem)])
        case 7: // TokenSource
            return Array((token.user == .localSystem ? "*SYSTEM*" : "User32  ").utf8) + le(0, 8)
        case 8: return le(UInt64(token.type), 4)
        case 9: return token.type == 2 ? le(UInt64(token.impersonationLevel), 4) : nil
        case 10: // TokenStatistics
            return le(token.tokenId, 8) + le(token.authenticationId, 8) + le(0x7FFF_FFFF_FFFF_FFFF, 8)
                + le(UInt64(token.type), 4) + le(UInt64(token.impersonationLevel), 4) + le(0x1000, 4) + le(0xE00, 4)
                + le(UInt64(token.groups.count), 4) + le(UInt64(token.privileges.count), 4) + le(token.tokenId &+ 1, 8)
        case 12: return le(UInt64(token.sessionId), 4)
        case 17: return le(token.user == .localSystem ? 0x3E7 : token.authenticationId, 8) // TokenOrigin
        case 18: return le(UInt64(token.elevationType), 4)
        case 20: return le(token.elevated ? 1 : 0, 4)
        case 25: return sidAndAttributes(token.integrity, 0x60) // TokenIntegrityLevel
        case 29: return le(0, 4) // TokenIsAppContainer
        default: return nil
        }
    }
}
