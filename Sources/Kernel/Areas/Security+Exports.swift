/// SeExports (PSE_EXPORTS): the kernel's well-known privilege LUIDs and SIDs,
/// in the order of SE_EXPORTS in ntddk.h/wdm.h. DataExports reserves the
/// `SeExports` variable; the model points it at a filled SE_EXPORTS.
extension Kernel {
    enum SeExportEntry {
        case privilege(UInt32)
        case sid(SidValue)
    }

    static let seExportEntries: [SeExportEntry] = [
        // SeCreateTokenPrivilege … SeRemoteShutdownPrivilege
        .privilege(2), .privilege(3), .privilege(4), .privilege(5), .privilege(6), .privilege(7), .privilege(8),
        .privilege(9), .privilege(10), .privilege(15), .privilege(14), .privilege(11), .privilege(12),
        .privilege(13), .privilege(16), .privilege(17), .privilege(18), .privilege(19), .privilege(20),
        .privilege(21), .privilege(22), .privilege(23), .privilege(24),
        // SeNullSid … SeAliasBackupOpsSid
        .sid(.null), .sid(.world), .sid(.local), .sid(.creatorOwner), .sid(.creatorGroup), .sid(.ntAuthority),
        .sid(.dialup), .sid(.network), .sid(.batch), .sid(.interactive), .sid(.localSystem), .sid(.administrators),
        .sid(.users), .sid(.guests), .sid(.powerUsers), .sid(.accountOps), .sid(.systemOps), .sid(.printOps),
        .sid(.backupOps),
        // SeAuthenticatedUsersSid, SeRestrictedSid, SeAnonymousLogonSid
        .sid(.authenticatedUsers), .sid(.restricted), .sid(.anonymous),
        // SeUndockPrivilege, SeSyncAgentPrivilege, SeEnableDelegationPrivilege
        .privilege(25), .privilege(26), .privilege(27),
        // SeLocalServiceSid, SeNetworkServiceSid
        .sid(.localService), .sid(.networkService),
        // SeManageVolume, SeImpersonate, SeCreateGlobal, SeTrustedCredManAccess, SeRelabel,
        // SeIncreaseWorkingSet, SeTimeZone, SeCreateSymbolicLink
        .privilege(28), .privilege(29), .privilege(30), .privilege(31), .privilege(32), .privilege(33),
        .privilege(34), .privilege(35),
        // SeIUserSid, mandatory labels, SeOwnerRightsSid, SeAllAppPackagesSid, SeUserModeDriversSid,
        // SeProcTrustWinTcbSid, SeTrustedInstallerSid
        .sid(SidValue(5, [17])), .sid(.untrustedLabel), .sid(.lowLabel), .sid(.mediumLabel), .sid(.highLabel),
        .sid(.systemLabel), .sid(.ownerRights), .sid(.allAppPackages), .sid(.userModeDrivers),
        .sid(SidValue(19, [1024, 8192])), .sid(.trustedInstaller),
        // SeDelegateSessionUserImpersonatePrivilege
        .privilege(36),
    ]

    func installSeExports(_ model: ObjectModel) throws {
        let exports = try heap.allocate(Layout.SeExports.size, name: "SE_EXPORTS")
        for (index, entry) in Self.seExportEntries.enumerated() {
            let slot = exports &+ UInt64(index * 8)
            switch entry {
            case .privilege(let luid): try writeU64(slot, UInt64(luid))
            case .sid(let sid): try writeU64(slot, try makeSid(sid, name: "SeExports SID"))
            }
        }
        model.seExports = exports
        if let cell = objects.dataExports["SeExports"] { try writeU64(cell, exports) }
    }
}
