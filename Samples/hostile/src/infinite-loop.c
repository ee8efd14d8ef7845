/* infinite-loop - DriverEntry never returns: the run stops at its time limit. */
#include "hostile.h"
HOSTILE_ENTRY(for (;;) __asm__ volatile("" ::: "memory");)
