/* wild-write-kusd - a store to KUSER_SHARED_DATA's kernel mapping (read-only for everyone). */
#include "hostile.h"
HOSTILE_ENTRY(*(volatile ULONG *)0xFFFFF78000000300ULL = 1; return STATUS_SUCCESS;)
