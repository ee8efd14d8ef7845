/* lgdt - reloads GDTR with the value sgdt read (a no-op on the hardware). */
#include "hostile.h"
HOSTILE_ENTRY(
    struct { USHORT limit; ULONG64 base; } __attribute__((packed)) gdtr;
    __asm__ volatile("sgdt %0\n\tlgdt %0" : "+m"(gdtr));
    return STATUS_SUCCESS;
)
