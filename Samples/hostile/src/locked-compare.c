/* locked-compare - LOCK CMP [rsp], eax: LOCK on a non-RMW instruction is #UD; QEMU aborts on it. */
#include "hostile.h"
HOSTILE_ENTRY(__asm__ volatile(".byte 0xF0, 0x39, 0x04, 0x24"); return STATUS_SUCCESS;)
