/*
 * mdl-protect-exec - an MDL system mapping made executable afterwards.
 *
 * Rule:      MmProtectMdlSystemAddress must not ask for PAGE_EXECUTE*
 *            (DESIGN 2.3).  The sample maps NX pool correctly (NoExecute),
 *            then calls MmProtectMdlSystemAddress(mdl, PAGE_EXECUTE_READ).
 * HVCI on:   the pages can never become executable.  HVCI off: the mapping
 *            becomes executable.  Either way DriverEntry prints the status of
 *            MmProtectMdlSystemAddress and returns STATUS_SUCCESS.
 * Verifier:  0x2001 at the MmProtectMdlSystemAddress call (p3 = 0x20).
 */
#include "hvcisim-sample.h"

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;
    PVOID buffer, view;
    PMDL mdl;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, SAMPLE_TAG);
    if (buffer == NULL)
        return status;
    mdl = IoAllocateMdl(buffer, PAGE_SIZE, FALSE, FALSE, NULL);
    if (mdl != NULL) {
        MmBuildMdlForNonPagedPool(mdl);
        view = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL,
                                            FALSE,
                                            NormalPagePriority | MdlMappingNoExecute);
        if (view != NULL) {
            DbgPrint("hvcisim mdl-protect-exec: MmProtectMdlSystemAddress -> 0x%08lx\n",
                     MmProtectMdlSystemAddress(mdl, PAGE_EXECUTE_READ));
            MmUnmapLockedPages(view, mdl);
            status = STATUS_SUCCESS;
        }
        IoFreeMdl(mdl);
    }
    ExFreePoolWithTag(buffer, SAMPLE_TAG);
    return status;
}
