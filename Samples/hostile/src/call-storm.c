/* call-storm - 10^7 calls of a cheap kernel routine: the kernel-call limit stops it. */
#include "hostile.h"
HOSTILE_ENTRY(
    ULONG64 sum = 0;
    for (ULONG i = 0; i < 10000000; i++)
        sum += KeQueryPerformanceCounter(NULL).QuadPart;
    return sum == 0 ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
)
