/// MmVerifyCallbackFunctionCheckFlags: the check Windows makes before it accepts some
/// callback registrations. It looks up the loaded module that contains the callback
/// address (the loader's KLDR_DATA_TABLE_ENTRY list, as the driver may have changed it)
/// and requires LDRP_IMAGE_INTEGRITY_FORCED (0x20) in that entry's Flags — set by the
/// loader for an image linked with /INTEGRITYCHECK (IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY).
/// An address outside every module (pool, stack) fails too.
///
/// The documented set (the DDIs' "Return value" sections list STATUS_ACCESS_DENIED for it):
/// PsSetCreateProcessNotifyRoutineEx, PsSetCreateProcessNotifyRoutineEx2 and
/// ObRegisterCallbacks. PsSetCreateThreadNotifyRoutine(Ex), PsSetLoadImageNotifyRoutine(Ex)
/// and CmRegisterCallback(Ex) document no such failure and have no such check.
extension Kernel {
    /// Whether the module containing `address` has LDRP_IMAGE_INTEGRITY_FORCED in its entry's Flags.
    func callbackModuleIsIntegrityForced(_ address: UInt64) throws -> Bool {
        typealias E = Layout.KldrDataTableEntry
        let list = try loadedModules()
        var link = try readU64(list.head), visited = 0
        while link != list.head, visited < 0x1000 {
            let entry = link &- UInt64(E.inLoadOrderLinks)
            let base = try readU64(entry &+ UInt64(E.dllBase))
            let size = UInt64(try readU32(entry &+ UInt64(E.sizeOfImage)))
            if address >= base, address - base < size {
                return try readU32(entry &+ UInt64(E.flags)) & E.integrityForced != 0
            }
            visited += 1
            link = try readU64(link)
        }
        return false
    }

    /// The check for one registration: true when it may go on; otherwise notes why.
    func verifyCallbackFunction(_ call: KernelCall, _ routine: UInt64) throws -> Bool {
        if try callbackModuleIsIntegrityForced(routine) { return true }
        call.note("routine 0x\(String(routine, radix: 16)) is not in an image linked with /INTEGRITYCHECK "
                  + "(LDR entry Flags lack 0x20): STATUS_ACCESS_DENIED")
        return false
    }
}
