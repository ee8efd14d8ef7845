/* allocation-bomb - allocates 1 MiB blocks of non-paged pool until the pool says no
 * (never frees them); returns STATUS_INSUFFICIENT_RESOURCES when it does. */
#include "hostile.h"
HOSTILE_ENTRY(
    ULONG count = 0;
    while (ExAllocatePoolWithTag(NonPagedPoolNx, 1 << 20, SAMPLE_TAG) != NULL)
        count++;
    DbgPrint("hvcisim allocation-bomb: %lu MiB before the pool ran out\n", count);
    return STATUS_INSUFFICIENT_RESOURCES;
)
