/*
 * pool-exec - code copied into NonPagedPoolNx memory and called.
 *
 * Rule:      data is never executable (DESIGN 2.1).  NonPagedPoolNx pages
 *            are NX in the PTEs (Windows 8+), and with HVCI their frames are
 *            also SLAT non-executable.
 * HVCI on:   bug check 0xFC ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY.
 * HVCI off:  bug check 0xFC as well (PTE NX bit).
 * Verifier:  nothing (the allocation itself is NX and correct).
 * Returns:   only if execution goes on after the fault: 0x00000000
 *            SAMPLE_TOOK_EFFECT if the copied code ran and returned 0x1234,
 *            0xC0000001 SAMPLE_NO_EFFECT otherwise, 0xC000009A
 *            SAMPLE_NO_MEMORY if the allocation failed.
 */
#include "hvcisim-sample.h"

/* Position-independent: B8 34 12 00 00 C3 = mov eax, 0x1234; ret */
static const UCHAR Payload[] = { 0xB8, 0x34, 0x12, 0x00, 0x00, 0xC3 };
typedef ULONG (*PAYLOAD_FN)(void);

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UCHAR *buffer;
    ULONG result;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, SAMPLE_TAG);
    if (buffer == NULL)
        return SAMPLE_NO_MEMORY;
    RtlCopyMemory(buffer, Payload, sizeof(Payload));
    result = ((PAYLOAD_FN)(ULONG_PTR)buffer)(); /* execute data */
    ExFreePoolWithTag(buffer, SAMPLE_TAG);
    DbgPrint("hvcisim pool-exec: the pool code returned 0x%lx\n", result);
    return result == 0x1234 ? SAMPLE_TOOK_EFFECT : SAMPLE_NO_EFFECT;
}
