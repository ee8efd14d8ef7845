/* far-call-register - FF /3 with a register operand (call far rax): #UD on x86-64;
 * QEMU aborts translating it, so the loader puts ud2 in its place. */
#include "hostile.h"
HOSTILE_ENTRY(__asm__ volatile(".byte 0xFF, 0xD8"); return STATUS_SUCCESS;)
