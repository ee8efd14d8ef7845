/* far-call-hidden - a far call with a register operand reached only through a computed
 * jump, which the loader's sweep cannot follow: QEMU aborts and the supervisor reports
 * a tool fault (still a complete report). */
#include "hostile.h"
HOSTILE_ENTRY(
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tjmp *%%rax\n\t.byte 0xCC\n1:\t.byte 0xFF, 0xD8" ::: "rax");
    return STATUS_SUCCESS;
)
