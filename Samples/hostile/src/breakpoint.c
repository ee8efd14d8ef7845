/* breakpoint - int3 with no kernel debugger attached. */
#include "hostile.h"
HOSTILE_ENTRY(__asm__ volatile("int3"); return STATUS_SUCCESS;)
