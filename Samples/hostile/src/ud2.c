/* ud2 - the architecturally undefined instruction. */
#include "hostile.h"
HOSTILE_ENTRY(__asm__ volatile("ud2"); return STATUS_SUCCESS;)
