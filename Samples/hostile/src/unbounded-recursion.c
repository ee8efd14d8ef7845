/* unbounded-recursion - each call takes 4 KiB of stack until the kernel stack ends. */
#include "hostile.h"
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static __attribute__((noipa)) ULONG Recurse(volatile UCHAR *previous)
{
    volatile UCHAR frame[4096];
    frame[0] = previous ? previous[0] + 1 : 0;
    return Recurse(frame) + frame[100];
}
HOSTILE_ENTRY(return Recurse(NULL);)
