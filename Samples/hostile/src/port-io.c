/* port-io - reads the CMOS clock and writes a POST code, as WinRing0-family drivers do. */
#include "hostile.h"
HOSTILE_ENTRY(
    UCHAR value;
    __asm__ volatile("outb %%al, $0x70\n\tinb $0x71, %%al\n\toutb %%al, $0x80" : "=a"(value) : "a"(0));
    return value == 0xFF ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
)
