/*
 * nonpaged-pool - an allocation from executable non-paged pool.
 *
 * Rule:      non-paged pool must be NonPagedPoolNx (512); NonPagedPool (0) is
 *            NonPagedPoolExecute (DESIGN 2.3).
 * HVCI on:   the allocation succeeds but its pages are never executable
 *            (SLAT); DriverEntry returns STATUS_SUCCESS.
 *            HVCI off: the pool is executable; STATUS_SUCCESS.
 * Verifier:  0x2000 at the ExAllocatePoolWithTag call (p3 = pool type 0,
 *            p4 = tag 'Hvci').
 */
#include "hvcisim-sample.h"

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID buffer;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    buffer = ExAllocatePoolWithTag(NonPagedPool, 64, SAMPLE_TAG);
    if (buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ExFreePoolWithTag(buffer, SAMPLE_TAG);
    return STATUS_SUCCESS;
}
