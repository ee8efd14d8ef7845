/* wild-write-user - a store to an unmapped user-half address, outside any __try. */
#include "hostile.h"
HOSTILE_ENTRY(*(volatile ULONG64 *)0x0000000012345000ULL = 1; return STATUS_SUCCESS;)
