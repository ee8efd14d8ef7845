import Testing
@testable import Kernel

struct SecurityTests {
    /// SeExports->field (a SID pointer or a LUID) at `offset`.
    func seExports(_ h: KernelHarness, _ offset: UInt64) throws -> UInt64 {
        _ = try h.kernel.obModel()
        let exports = try h.kernel.readU64(try #require(h.kernel.objects.dataExports["SeExports"]))
        return try h.kernel.readU64(exports + offset)
    }

    @Test func seExportsHoldsPrivilegesAndWellKnownSids() throws {
        let h = try KernelHarness()
        #expect(try seExports(h, 0x28) == 7) // SeTcbPrivilege
        #expect(try seExports(h, 0x90) == 20) // SeDebugPrivilege
        let system = try seExports(h, 0x108), world = try seExports(h, 0xC0)
        #expect(try h.kernel.readSid(system)?.description == "S-1-5-18")
        #expect(try h.kernel.readSid(world)?.description == "S-1-1-0")
        #expect(try h.kernel.readSid(try seExports(h, 0x110))?.description == "S-1-5-32-544")
    }

    @Test func buildAbsoluteDescriptorAndMakeItSelfRelative() throws {
        let h = try KernelHarness()
        let sd = try h.buffer(0x28), acl = try h.buffer(0x100), system = try seExports(h, 0x108)
        #expect(try h.call("RtlCreateSecurityDescriptor", sd, 2) == UInt64(NTStatus.unknownRevision))
        #expect(try h.call("RtlCreateSecurityDescriptor", sd, 1) == 0)
        #expect(try h.call("RtlCreateAcl", acl, 4, 2) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.call("RtlCreateAcl", acl, 8 + 20, 2) == 0)
        #expect(try h.call("RtlAddAccessAllowedAce", acl, 2, 0x1000_0000, system) == 0)
        #expect(try h.call("RtlAddAccessAllowedAce", acl, 2, 0x1000_0000, system) == UInt64(NTStatus.allottedSpaceExceeded))
        #expect(try h.kernel.readU16(acl + 4) == 1)
        #expect(try h.call("RtlSetDaclSecurityDescriptor", sd, 1, acl, 0) == 0)
        let present = try h.buffer(1), daclOut = try h.buffer(8), defaulted = try h.buffer(1)
        #expect(try h.call("RtlGetDaclSecurityDescriptor", sd, present, daclOut, defaulted) == 0)
        #expect(try h.kernel.readU8(present) == 1 && h.kernel.readU64(daclOut) == acl)
        #expect(try h.call("RtlLengthSecurityDescriptor", sd) == 0x28 + 28)
        #expect(try h.call("RtlValidSecurityDescriptor", sd) == 1)
        let relative = try h.buffer(0x100), length = try h.buffer(4)
        #expect(try h.call("RtlAbsoluteToSelfRelativeSD", sd, relative, length) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.kernel.readU32(length) == 0x14 + 28)
        #expect(try h.call("RtlAbsoluteToSelfRelativeSD", sd, relative, length) == 0)
        #expect(try h.kernel.readU16(relative + 2) & 0x8004 == 0x8004)
        #expect(try h.call("RtlGetDaclSecurityDescriptor", relative, present, daclOut, defaulted) == 0)
        #expect(try h.kernel.readU64(daclOut) == relative + 0x14)
        #expect(try h.call("RtlAbsoluteToSelfRelativeSD", relative, sd, length) == UInt64(NTStatus.badDescriptorFormat))
        #expect(try h.call("RtlSetDaclSecurityDescriptor", relative, 1, acl, 0) == UInt64(NTStatus.invalidSecurityDescr))
        #expect(try h.call("RtlValidRelativeSecurityDescriptor", relative, 0x14 + 28, 0) == 1)
        #expect(try h.call("RtlValidRelativeSecurityDescriptor", relative, 0x14 + 28, 1) == 0) // no owner
    }

    @Test func sidsInitialiseCompareAndPrint() throws {
        let h = try KernelHarness()
        let sid = try h.buffer(16), authority = try h.buffer(8), text = try h.buffer(16)
        try h.kernel.writeBytes(authority, [0, 0, 0, 0, 0, 5])
        #expect(try h.call("RtlLengthRequiredSid", 1) == 12)
        #expect(try h.call("RtlInitializeSid", sid, authority, 16) == UInt64(NTStatus.invalidParameter))
        #expect(try h.call("RtlInitializeSid", sid, authority, 1) == 0)
        try h.kernel.writeU32(try h.call("RtlSubAuthoritySid", sid, 0), 18)
        #expect(try h.call("RtlLengthSid", sid) == 12)
        #expect(try h.call("RtlValidSid", sid) == 1)
        #expect(try h.call("RtlEqualSid", sid, try seExports(h, 0x108)) == 1)
        #expect(try h.call("RtlEqualSid", sid, try seExports(h, 0xC0)) == 0)
        #expect(try h.call("RtlConvertSidToUnicodeString", text, sid, 1) == 0)
        #expect(try h.kernel.readUnicodeString(text) == "S-1-5-18")
        let small = try h.obUnicodeBuffer(maximum: 4)
        #expect(try h.call("RtlConvertSidToUnicodeString", small, sid, 0) == UInt64(NTStatus.bufferOverflow))
        let copy = try h.buffer(16)
        #expect(try h.call("RtlCopySid", 8, copy, sid) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.call("RtlCopySid", 16, copy, sid) == 0)
        #expect(try h.call("RtlEqualSid", copy, sid) == 1)
    }

    @Test func processTokensAnswerTheirInformationClasses() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8), info = try h.buffer(0x400), returned = try h.buffer(4)
        #expect(try h.call("ZwOpenProcessTokenEx", UInt64.max, 8, 0x200, out) == 0)
        let token = try h.kernel.readU64(out)
        #expect(try h.call("ZwQueryInformationToken", token, 1, info, 0, returned) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.kernel.readU32(returned) == 0x10 + 12)
        #expect(try h.call("ZwQueryInformationToken", token, 1, info, 0x400, returned) == 0)
        #expect(try h.kernel.readSid(try h.kernel.readU64(info))?.description == "S-1-5-18")
        #expect(try h.call("ZwOpenThreadTokenEx", 0xFFFF_FFFF_FFFF_FFFE, 8, 1, 0x200, out) == UInt64(NTStatus.noToken))
        // explorer.exe: the unelevated interactive user at medium integrity.
        let explorer = try h.obOpenProcess(0x1130)
        #expect(try h.call("ZwOpenProcessToken", explorer, 8, out) == 0)
        let user = try h.kernel.readU64(out)
        #expect(try h.call("ZwQueryInformationToken", user, 20, info, 4, returned) == 0)
        #expect(try h.kernel.readU32(info) == 0)
        #expect(try h.call("ZwQueryInformationToken", user, 25, info, 0x400, returned) == 0)
        #expect(try h.kernel.readSid(try h.kernel.readU64(info))?.description == "S-1-16-8192")
        #expect(try h.call("ZwQueryInformationToken", user, 9, info, 4, returned) == UInt64(NTStatus.invalidInfoClass))
        // A duplicate as an impersonation token does answer TokenImpersonationLevel.
        let attributes = try h.obAttributesWithoutName(), qos = try h.buffer(12)
        try h.kernel.writeU32(qos + 4, 2) // SecurityImpersonation
        try h.kernel.writeU64(attributes + 0x28, qos)
        #expect(try h.call("ZwDuplicateToken", user, 8, attributes, 0, 2, out) == 0)
        #expect(try h.call("ZwQueryInformationToken", try h.kernel.readU64(out), 9, info, 4, returned) == 0)
        #expect(try h.kernel.readU32(info) == 2)
        #expect(try h.call("ZwQueryInformationToken", explorer, 1, info, 0x400, returned) == UInt64(NTStatus.objectTypeMismatch))
    }

    @Test func accessCheckEvaluatesTheDaclForUserMode() throws {
        let h = try KernelHarness()
        let sd = try h.buffer(0x28), acl = try h.buffer(0x100), subject = try h.buffer(0x20)
        let granted = try h.buffer(4), status = try h.buffer(4), processOut = try h.buffer(8)
        let mapping = try h.call("IoGetFileObjectGenericMapping")
        try h.call("RtlCreateSecurityDescriptor", sd, 1)
        try h.call("RtlCreateAcl", acl, 0x100, 2)
        try h.call("RtlAddAccessAllowedAce", acl, 2, 0x8000_0000, try seExports(h, 0xC0)) // Everyone: GENERIC_READ
        try h.call("RtlSetDaclSecurityDescriptor", sd, 1, acl, 0)
        #expect(try h.call("PsLookupProcessByProcessId", 0x1130, processOut) == 0)
        let token = try h.call("PsReferencePrimaryToken", try h.kernel.readU64(processOut))
        try h.kernel.writeU64(subject + 0x10, token)
        #expect(try h.call("SeAccessCheck", sd, subject, 0, 0x12_0089, 0, 0, mapping, 1, granted, status) == 1)
        #expect(try h.kernel.readU32(granted) == 0x12_0089 && h.kernel.readU32(status) == 0)
        #expect(try h.call("SeAccessCheck", sd, subject, 0, 0x4000_0000, 0, 0, mapping, 1, granted, status) == 0)
        #expect(try h.kernel.readU32(status) == NTStatus.accessDenied)
        #expect(try h.call("SeAccessCheck", sd, subject, 0, 0x4000_0000, 0, 0, mapping, 0, granted, status) == 1)
        try h.call("PsDereferencePrimaryToken", token)
        #expect(h.kernel.findings.isEmpty)
        #expect(try h.call("SeSinglePrivilegeCheck", 20, 1) == 1) // System has SeDebugPrivilege
    }

    @Test func objectSecurityRoundTrips() throws {
        let h = try KernelHarness()
        let handle = try h.obOpenProcess(0x3A0), sd = try h.buffer(0x28), acl = try h.buffer(0x40)
        try h.call("RtlCreateSecurityDescriptor", sd, 1)
        try h.call("RtlCreateAcl", acl, 0x40, 2)
        try h.call("RtlAddAccessAllowedAce", acl, 2, 0x1F_FFFF, try seExports(h, 0x108))
        try h.call("RtlSetDaclSecurityDescriptor", sd, 1, acl, 0)
        #expect(try h.call("ZwSetSecurityObject", handle, 4, sd) == 0)
        #expect(try h.call("ZwSetSecurityObject", 0x7770, 4, sd) == UInt64(NTStatus.invalidHandle))
        let out = try h.buffer(0x100), needed = try h.buffer(4)
        #expect(try h.call("ZwQuerySecurityObject", handle, 4, out, 4, needed) == UInt64(NTStatus.bufferTooSmall))
        #expect(try h.kernel.readU32(needed) == 0x14 + 0x40) // the whole AclSize is copied
        #expect(try h.call("ZwQuerySecurityObject", handle, 4, out, 0x100, needed) == 0)
        let present = try h.buffer(1), dacl = try h.buffer(8), defaulted = try h.buffer(1)
        #expect(try h.call("RtlGetDaclSecurityDescriptor", out, present, dacl, defaulted) == 0)
        #expect(try h.kernel.readU32(try h.kernel.readU64(dacl) + 12) == 0x1F_FFFF)
        let captured = try h.buffer(8)
        #expect(try h.call("SeCaptureSecurityDescriptor", sd, 1, 1, 0, captured) == 0)
        #expect(try h.kernel.readU64(captured) != sd)
        #expect(try h.call("RtlValidSecurityDescriptor", try h.kernel.readU64(captured)) == 1)
        try h.call("SeReleaseSecurityDescriptor", try h.kernel.readU64(captured), 1, 0)
    }

    @Test func hostilePointersFailWithoutTrapping() throws {
        let h = try KernelHarness()
        let out = try h.buffer(8)
        for function in ["RtlGetDaclSecurityDescriptor", "RtlLengthSecurityDescriptor", "RtlAddAccessAllowedAce",
                         "ObQueryNameString", "PsGetProcessId", "SeAccessCheck", "ZwQuerySymbolicLinkObject"] {
            _ = try? h.call(function, UInt64.max - 1, UInt64.max - 3, out, UInt64.max, UInt64.max - 7, 0, 0, 1, out, out)
        }
        #expect(try h.call("RtlSubAuthoritySid", UInt64.max, 0xFFFF_FFFF) == UInt64.max &+ 8 &+ 4 &* 0xFFFF_FFFF)
    }
}
