/* cli-hlt - hlt with interrupts disabled: the processor never wakes up. */
#include "hostile.h"
HOSTILE_ENTRY(__asm__ volatile("cli\n\thlt"); return STATUS_SUCCESS;)
