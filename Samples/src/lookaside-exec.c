/*
 * lookaside-exec - a non-paged lookaside list whose entries are executable.
 *
 * Rule:      ExInitializeNPagedLookasideList must get POOL_NX_ALLOCATION (512)
 *            in Flags, or its entries come from executable pool (DESIGN 2.3).
 *            Here Flags is 0.
 * HVCI on:   entries are never executable; STATUS_SUCCESS.  HVCI off: they are
 *            executable; STATUS_SUCCESS.
 * Verifier:  0x2000 at the ExInitializeNPagedLookasideList call (p3 = pool
 *            type 0, p4 = tag 'Hvci').
 */
#include "hvcisim-sample.h"

static NPAGED_LOOKASIDE_LIST Lookaside; /* in .bss: non-paged, 16-aligned */

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    ExInitializeNPagedLookasideList(&Lookaside, NULL, NULL,
                                    0 /* no POOL_NX_ALLOCATION */, 64,
                                    SAMPLE_TAG, 0);
    ExDeleteNPagedLookasideList(&Lookaside);
    return STATUS_SUCCESS;
}
