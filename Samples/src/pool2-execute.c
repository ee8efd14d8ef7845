/*
 * pool2-execute - ExAllocatePool2 asking for executable non-paged pool.
 *
 * Rule:      POOL_FLAG_NON_PAGED_EXECUTE (0x80) asks for executable memory;
 *            use POOL_FLAG_NON_PAGED (0x40, NX) (DESIGN 2.3).
 *            ExAllocatePool2 is missing from mingw-w64's libntoskrnl.a; the
 *            Makefile builds the import library from ntoskrnl.def.
 * HVCI on:   succeeds, but the pages are never executable; STATUS_SUCCESS.
 *            HVCI off: executable memory; STATUS_SUCCESS.
 * Verifier:  0x2000 at the ExAllocatePool2 call (pool flags 0x80,
 *            tag 'Hvci').
 */
#include "hvcisim-sample.h"

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID buffer;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED_EXECUTE, 64, SAMPLE_TAG);
    if (buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ExFreePoolWithTag(buffer, SAMPLE_TAG);
    return STATUS_SUCCESS;
}
