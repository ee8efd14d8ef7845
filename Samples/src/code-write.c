/*
 * code-write - a plain store into the driver's own code.
 *
 * Rule:      code is never writable (DESIGN 2.1).  With HVCI the frame is
 *            SLAT read-only; without HVCI the loader still maps .text
 *            read-only in the PTEs (and CR0.WP is set).
 * HVCI on:   bug check 0xBE ATTEMPTED_WRITE_TO_READONLY_MEMORY.
 * HVCI off:  bug check 0xBE as well.
 * Verifier:  nothing (no DDI involved).
 * Returns:   only if execution goes on after the faulting store (e.g. the
 *            tool's audit mode): 0x00000000 SAMPLE_TOOK_EFFECT if the byte
 *            changed, 0xC0000001 SAMPLE_NO_EFFECT if it did not,
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
    BOOLEAN changed;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    if (code[0] != 0xB8 || code[1] != 0x01)
        return SAMPLE_UNEXPECTED_CODE;
    code[1] = 0x02; /* the write to a code page */
    changed = code[1] == 0x02;
    DbgPrint("hvcisim code-write: the write %s\n",
             changed ? "took effect" : "had no effect");
    return changed ? SAMPLE_TOOK_EFFECT : SAMPLE_NO_EFFECT;
}
