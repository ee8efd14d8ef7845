/*
 * zwalloc-rwx - virtual memory allocated with PAGE_EXECUTE_READWRITE.
 *
 * Rule:      memory a driver allocates must not ask for PAGE_EXECUTE*
 *            (DESIGN 2.3).  ZwAllocateVirtualMemory(NtCurrentProcess(), ...,
 *            PAGE_EXECUTE_READWRITE) commits one page in the current process
 *            (the System process while DriverEntry runs).
 * HVCI on:   the request is flagged by Driver Verifier; HVCI itself governs
 *            kernel-mode pages only.  DriverEntry returns the status of the
 *            allocation (STATUS_SUCCESS when it succeeds), HVCI on or off.
 * Verifier:  0x2001 at the ZwAllocateVirtualMemory call (p3 = protection 0x40).
 */
#include "hvcisim-sample.h"

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID base = NULL;
    SIZE_T size = PAGE_SIZE;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    status = ZwAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size,
                                     MEM_COMMIT | MEM_RESERVE,
                                     PAGE_EXECUTE_READWRITE);
    if (!NT_SUCCESS(status))
        return status;
    size = 0;
    ZwFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE);
    return STATUS_SUCCESS;
}
