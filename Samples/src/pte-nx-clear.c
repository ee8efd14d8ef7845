/*
 * pte-nx-clear - make NX pool executable by clearing the NX bit in its PTE.
 *
 * Rule:      data is never executable, whatever the PTEs say: the PTEs are
 *            the guest's, but with HVCI the frame's SLAT execute right is the
 *            hypervisor's (DESIGN 2.1).  The sample finds the PTE of a
 *            page-sized NonPagedPoolNx buffer through the classic self-map
 *            (PTE_BASE 0xFFFFF68000000000, fixed before Windows 10 1607 and
 *            the address hvcisim models), clears bit 63, flushes the TLB
 *            entry and calls code it copied into the buffer.
 * HVCI on:   bug check 0xFC ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY (the PTE
 *            edit itself is allowed; SLAT still denies execute).
 * HVCI off:  works on a kernel with the fixed self-map (the buffer runs,
 *            DriverEntry returns STATUS_SUCCESS).  On Windows 10 1607+ the
 *            base is randomised and this address is wrong (0x50 likely).
 * Verifier:  nothing (the allocation itself is NX and correct).
 * Returns:   0x00000000 SAMPLE_TOOK_EFFECT if the copied code ran and
 *            returned 0x1234, 0xC0000001 SAMPLE_NO_EFFECT otherwise,
 *            0xC000009A SAMPLE_NO_MEMORY if the allocation failed.
 */
#include "hvcisim-sample.h"

#define PTE_BASE 0xFFFFF68000000000ULL
#define PTE_NX   (1ULL << 63)

/* Position-independent: B8 34 12 00 00 C3 = mov eax, 0x1234; ret */
static const UCHAR Payload[] = { 0xB8, 0x34, 0x12, 0x00, 0x00, 0xC3 };
typedef ULONG (*PAYLOAD_FN)(void);

static volatile ULONG64 *PteOf(const void *va)
{
    return (volatile ULONG64 *)(PTE_BASE + (((ULONG_PTR)va >> 9) & 0x7FFFFFFFF8ULL));
}

static inline void FlushTlbEntry(const void *va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    volatile ULONG64 *pte;
    UCHAR *buffer;
    ULONG result;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    /* A full page: page aligned, so the PTE covers only this buffer. */
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, SAMPLE_TAG);
    if (buffer == NULL)
        return SAMPLE_NO_MEMORY;
    RtlCopyMemory(buffer, Payload, sizeof(Payload));

    pte = PteOf(buffer);
    *pte &= ~PTE_NX; /* "make it executable" */
    FlushTlbEntry(buffer);
    result = ((PAYLOAD_FN)(ULONG_PTR)buffer)();
    *pte |= PTE_NX; /* put it back before freeing */
    FlushTlbEntry(buffer);

    ExFreePoolWithTag(buffer, SAMPLE_TAG);
    DbgPrint("hvcisim pte-nx-clear: the pool code returned 0x%lx\n", result);
    return result == 0x1234 ? SAMPLE_TOOK_EFFECT : SAMPLE_NO_EFFECT;
}
