/* return-to-zero - overwrites its return address with 0 and returns. */
#include "hostile.h"
HOSTILE_ENTRY(__asm__ volatile("movq $0, (%rsp)\n\tret"); return STATUS_SUCCESS;)
