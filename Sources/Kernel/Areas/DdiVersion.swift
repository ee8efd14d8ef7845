/// Which DDI versions the modeled kernel provides. The model is Windows 10 22H2
/// (build 19045, see RtlGetVersion and NtBuildNumber), whose NTDDI version is
/// NTDDI_WIN10_VB (0x0A000008): 20H2, 21H1, 21H2 and 22H2 added no NTDDI value
/// of their own after 2004 (19041).
enum DdiVersionArea {
    static let handlers: [KernelExport] = [
        // RtlIsNtDdiVersionAvailable(Version) -> BOOLEAN: TRUE when the running kernel
        // provides the DDIs of `Version` (an NTDDI_* value), i.e. it is not newer than ours.
        .ntoskrnl("RtlIsNtDdiVersionAvailable") { call in
            let version = try call.arg32(0)
            call.note("NTDDI 0x\(String(version, radix: 16)) vs modeled 0x\(String(modeledNtddiVersion, radix: 16))")
            return version <= modeledNtddiVersion ? 1 : 0
        },
        // RtlIsServicePackVersionInstalled(Version) -> BOOLEAN: the same question for the
        // service-pack part of an NTDDI value; Windows 10 has no service packs beyond its own.
        .ntoskrnl("RtlIsServicePackVersionInstalled") { call in try call.arg32(0) <= modeledNtddiVersion ? 1 : 0 },
    ]

    /// NTDDI_WIN10_VB.
    static let modeledNtddiVersion: UInt32 = 0x0A00_0008
}
