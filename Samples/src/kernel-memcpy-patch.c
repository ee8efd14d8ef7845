/*
 * kernel-memcpy-patch - clear CR0.WP, then let the kernel's memcpy patch the
 * driver's own code.
 *
 * Rule:      the SLAT does not know who writes: a copy the kernel makes for
 *            the driver is refused exactly like the driver's own store
 *            (DESIGN 2.1).  Clearing CR0.WP only silences the read-only PTE.
 * HVCI on:   bug check 0xBE ATTEMPTED_WRITE_TO_READONLY_MEMORY inside
 *            ntoskrnl!memcpy, called from DriverEntry.
 * HVCI off:  with WP clear the kernel-mode copy ignores the read-only PTE:
 *            ReturnsOne then returns 2 and DriverEntry returns
 *            STATUS_SUCCESS.  (PatchGuard may bug-check 0x109 later; not
 *            modelled.)
 * Verifier:  nothing (no DDI Driver Verifier checks is involved).
 * Returns:   0x00000000 SAMPLE_TOOK_EFFECT if ReturnsOne() returned 2 after
 *            the copy, 0xC0000001 SAMPLE_NO_EFFECT if it still returned 1,
 *            0xC00000BB SAMPLE_UNEXPECTED_CODE if ReturnsOne was not compiled
 *            to the bytes below.
 */
#include "hvcisim-sample.h"

/* B8 01 00 00 00 C3 = mov eax, 1; ret.  noipa: keep it a real function. */
static __attribute__((noipa)) ULONG ReturnsOne(void)
{
    return 1;
}

/* A length the compiler cannot see, so the copy stays a call into ntoskrnl. */
static volatile SIZE_T PatchLength = 1;
static const UCHAR Two = 0x02;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UCHAR *code = (UCHAR *)(ULONG_PTR)ReturnsOne;
    ULONG64 cr0;
    ULONG result;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    if (((volatile UCHAR *)code)[0] != 0xB8 || ((volatile UCHAR *)code)[1] != 0x01)
        return SAMPLE_UNEXPECTED_CODE;

    __asm__ volatile("cli" : : : "memory");
    cr0 = ReadCr0();
    WriteCr0(cr0 & ~CR0_WP);
    memcpy(code + 1, &Two, PatchLength); /* mov eax, 1 -> mov eax, 2 */
    WriteCr0(cr0);
    __asm__ volatile("sti" : : : "memory");

    result = ReturnsOne();
    DbgPrint("hvcisim kernel-memcpy-patch: ReturnsOne() = %lu\n", result);
    return result == 2 ? SAMPLE_TOOK_EFFECT : SAMPLE_NO_EFFECT;
}
