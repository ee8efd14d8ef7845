/*
 * mdl-exec-mapping - an MDL mapped into system space without
 * MdlMappingNoExecute.
 *
 * Rule:      MmMapLockedPagesSpecifyCache's Priority must carry
 *            MdlMappingNoExecute (0x40000000), or the new mapping is
 *            executable (DESIGN 2.3).  Here Priority is NormalPagePriority (16).
 * HVCI on:   the mapping is never executable; STATUS_SUCCESS.  HVCI off: the
 *            mapping is executable; STATUS_SUCCESS.
 * Verifier:  0x2002 at the MmMapLockedPagesSpecifyCache call (p3 = 0x10).
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
                                            FALSE, NormalPagePriority);
        if (view != NULL) {
            MmUnmapLockedPages(view, mdl);
            status = STATUS_SUCCESS;
        }
        IoFreeMdl(mdl);
    }
    ExFreePoolWithTag(buffer, SAMPLE_TAG);
    return status;
}
