/* misaligned-stack - calls a kernel routine with RSP 8 bytes off the ABI's 16-byte alignment. */
#include "hostile.h"
HOSTILE_ENTRY(
    LARGE_INTEGER now;
    __asm__ volatile("sub $8, %%rsp\n\tsub $32, %%rsp\n\txor %%ecx, %%ecx\n\tcall *%1\n\tadd $40, %%rsp"
                     : "=a"(now.QuadPart) : "r"(KeQueryPerformanceCounter) : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory");
    return now.QuadPart ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
)
