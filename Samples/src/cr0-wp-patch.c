/*
 * cr0-wp-patch - clear CR0.WP, patch the driver's own code, restore CR0.
 *
 * Rule:      code is never writable, not even with CR0.WP cleared: with HVCI
 *            the frame is SLAT read-only, and the hypervisor, not CR0,
 *            decides (DESIGN 2.1).
 * HVCI on:   bug check 0xBE ATTEMPTED_WRITE_TO_READONLY_MEMORY at the store.
 * HVCI off:  the classic trick works: with WP clear, ring 0 ignores the
 *            read-only PTE; ReturnsOne then returns 2 and DriverEntry returns
 *            STATUS_SUCCESS.  (PatchGuard may bug-check 0x109 later; not
 *            modelled.)
 * Verifier:  nothing (no DDI involved).
 * Returns:   0x00000000 SAMPLE_TOOK_EFFECT if ReturnsOne() returned 2 after
 *            the patch, 0xC0000001 SAMPLE_NO_EFFECT if it still returned 1,
 *            0xC00000BB SAMPLE_UNEXPECTED_CODE if ReturnsOne was not compiled
 *            to the bytes below.
 */
#include "hvcisim-sample.h"

/* B8 01 00 00 00 C3 = mov eax, 1; ret.  noipa: keep it a real function. */
static __attribute__((noipa)) ULONG ReturnsOne(void)
{
    return 1;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    volatile UCHAR *code = (volatile UCHAR *)(ULONG_PTR)ReturnsOne;
    ULONG64 cr0;
    ULONG result;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    if (code[0] != 0xB8 || code[1] != 0x01)
        return SAMPLE_UNEXPECTED_CODE;

    __asm__ volatile("cli" : : : "memory");
    cr0 = ReadCr0();
    WriteCr0(cr0 & ~CR0_WP);
    code[1] = 0x02; /* mov eax, 1 -> mov eax, 2 */
    WriteCr0(cr0);
    __asm__ volatile("sti" : : : "memory");

    result = ReturnsOne();
    DbgPrint("hvcisim cr0-wp-patch: ReturnsOne() = %lu\n", result);
    return result == 2 ? SAMPLE_TOOK_EFFECT : SAMPLE_NO_EFFECT;
}
