/* wild-write-kernel - a store to an unmapped kernel-half address. */
#include "hostile.h"
HOSTILE_ENTRY(*(volatile ULONG64 *)0xFFFFF80012345000ULL = 1; return STATUS_SUCCESS;)
