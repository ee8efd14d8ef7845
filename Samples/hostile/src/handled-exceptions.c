/* handled-exceptions - #UD (ud2 and a far call with a register operand), #DE, int3 and the #GP
 * of rdmsr of an unknown MSR, each inside __try/__except (EXCEPTION_EXECUTE_HANDLER): the
 * driver's handler sees STATUS_ILLEGAL_INSTRUCTION, STATUS_INTEGER_DIVIDE_BY_ZERO,
 * STATUS_BREAKPOINT and STATUS_PRIVILEGED_INSTRUCTION, and DriverEntry returns STATUS_SUCCESS
 * (else 0xE000000n for the first case n that saw another code).  Written with SEH directives,
 * as seh-probe is (gcc has no __try in C). */
#include "hostile.h"

NTSTATUS GuardedTrap(ULONG which);

__asm__(
    "    .text\n"
    "    .globl GuardedTrap\n"
    "    .def GuardedTrap; .scl 2; .type 32; .endef\n"
    "    .seh_proc GuardedTrap\n"
    "GuardedTrap:\n"
    "    subq $40, %rsp\n"
    "    .seh_stackalloc 40\n"
    "    .seh_endprologue\n"
    ".Ltrap_try:\n"
    "    cmpl $0, %ecx\n"
    "    je .Ltrap_ud2\n"
    "    cmpl $1, %ecx\n"
    "    je .Ltrap_div\n"
    "    cmpl $2, %ecx\n"
    "    je .Ltrap_int3\n"
    "    cmpl $3, %ecx\n"
    "    je .Ltrap_rdmsr\n"
    "    .byte 0xFF, 0xD8\n"          /* call far rax: #UD */
    ".Ltrap_ud2:\n"
    "    ud2\n"
    ".Ltrap_div:\n"
    "    xorl %edx, %edx\n"
    "    movl $1, %eax\n"
    "    xorl %ecx, %ecx\n"
    "    divl %ecx\n"
    "    jmp .Ltrap_done\n"
    ".Ltrap_int3:\n"
    "    int3\n"
    ".Ltrap_rdmsr:\n"
    "    movl $0x12345678, %ecx\n"
    "    rdmsr\n"
    ".Ltrap_done:\n"
    "    xorl %eax, %eax\n"
    ".Ltrap_end:\n"
    "    addq $40, %rsp\n"
    "    ret\n"
    ".Ltrap_except:\n"
    "    addq $40, %rsp\n"
    "    ret\n"
    "    .seh_handler __C_specific_handler, @except\n"
    "    .seh_handlerdata\n"
    "    .long 1\n"
    "    .rva .Ltrap_try, .Ltrap_end\n"
    "    .long 1\n"
    "    .rva .Ltrap_except\n"
    "    .text\n"
    "    .seh_endproc\n");

HOSTILE_ENTRY(
    static const NTSTATUS expected[] = { STATUS_ILLEGAL_INSTRUCTION, STATUS_INTEGER_DIVIDE_BY_ZERO,
                                         STATUS_BREAKPOINT, STATUS_PRIVILEGED_INSTRUCTION,
                                         STATUS_ILLEGAL_INSTRUCTION };
    for (ULONG i = 0; i < 5; i++) {
        NTSTATUS seen = GuardedTrap(i);
        DbgPrint("hvcisim handled-exceptions: case %lu saw 0x%08lx\n", i, (ULONG)seen);
        if (seen != expected[i]) return (NTSTATUS)(0xE0000000 | i);
    }
    return STATUS_SUCCESS;
)
