/*
 * mdl-alias-rtlcopy - map the driver's own code a second time through an
 * MDL (writable, no-execute) and let the kernel's RtlCopyMemory patch it
 * through that alias.
 *
 * Rule:      code is never writable, not through an alias and not by the
 *            kernel's own routines: the alias shares the frame, the frame is
 *            SLAT read-only, and the SLAT does not know who writes
 *            (DESIGN 2.1).  The MDL mapping itself is correct (RW, NX), so
 *            Driver Verifier has nothing to say about it.
 * HVCI on:   bug check 0xBE ATTEMPTED_WRITE_TO_READONLY_MEMORY inside
 *            ntoskrnl!RtlCopyMemory, called from DriverEntry.
 * HVCI off:  works: ReturnsOne then returns 2; DriverEntry returns
 *            STATUS_SUCCESS.  (PatchGuard may bug-check 0x109 later; not
 *            modelled.)
 * Verifier:  nothing (MdlMappingNoExecute is given).
 * Imports:   RtlCopyMemory from ntoskrnl.exe (exported on x64; the WDK
 *            header's macro over memcpy is replaced by that import here).
 * Returns:   0x00000000 SAMPLE_TOOK_EFFECT if ReturnsOne() returned 2 after
 *            the copy, 0xC0000001 SAMPLE_NO_EFFECT if it still returned 1,
 *            0xC000009A SAMPLE_NO_MEMORY if the MDL could not be allocated
 *            or mapped, 0xC00000BB SAMPLE_UNEXPECTED_CODE if ReturnsOne was
 *            not compiled to the bytes below.
 */
#include "hvcisim-sample.h"

#undef RtlCopyMemory
NTSYSAPI VOID NTAPI RtlCopyMemory(PVOID Destination, CONST VOID *Source, SIZE_T Length);

/* B8 01 00 00 00 C3 = mov eax, 1; ret.  noipa: keep it a real function. */
static __attribute__((noipa)) ULONG ReturnsOne(void)
{
    return 1;
}

static const UCHAR Two = 0x02;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    const volatile UCHAR *code = (const volatile UCHAR *)(ULONG_PTR)ReturnsOne;
    UCHAR *alias;
    ULONG result;
    PMDL mdl;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    if (code[0] != 0xB8 || code[1] != 0x01)
        return SAMPLE_UNEXPECTED_CODE;

    /* An MDL over the 6 code bytes (the image is non-paged, so resident). */
    mdl = IoAllocateMdl((PVOID)(ULONG_PTR)ReturnsOne, 6, FALSE, FALSE, NULL);
    if (mdl == NULL)
        return SAMPLE_NO_MEMORY;
    MmBuildMdlForNonPagedPool(mdl);
    alias = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE,
                                         NormalPagePriority | MdlMappingNoExecute);
    if (alias == NULL) {
        IoFreeMdl(mdl);
        return SAMPLE_NO_MEMORY;
    }
    RtlCopyMemory(alias + 1, &Two, 1); /* mov eax, 1 -> mov eax, 2, through the alias */
    MmUnmapLockedPages(alias, mdl);
    IoFreeMdl(mdl);

    result = ReturnsOne();
    DbgPrint("hvcisim mdl-alias-rtlcopy: ReturnsOne() = %lu\n", result);
    return result == 2 ? SAMPLE_TOOK_EFFECT : SAMPLE_NO_EFFECT;
}
