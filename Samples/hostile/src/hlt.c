/* hlt - three hlt with interrupts enabled: each returns after the next clock interrupt. */
#include "hostile.h"
HOSTILE_ENTRY(__asm__ volatile("hlt\n\thlt\n\thlt"); return STATUS_SUCCESS;)
