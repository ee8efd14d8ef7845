/* far-jmp-register - REX.W FF /5 with a register operand (jmp far rax): #UD on x86-64. */
#include "hostile.h"
HOSTILE_ENTRY(__asm__ volatile(".byte 0x48, 0xFF, 0xE8"); return STATUS_SUCCESS;)
