/* self-modifying - rewrites one of its own instructions, then calls it. */
#include "hostile.h"
static __attribute__((noipa)) ULONG ReturnsOne(void) { return 1; }
HOSTILE_ENTRY(
    volatile UCHAR *code = (volatile UCHAR *)(ULONG_PTR)ReturnsOne;
    code[1] = 0x02;
    return ReturnsOne() == 2 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
)
