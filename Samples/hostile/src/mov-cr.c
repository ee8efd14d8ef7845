/* mov-cr - writes CR3 back (a TLB flush) and clears CR4.SMEP. */
#include "hostile.h"
HOSTILE_ENTRY(
    ULONG64 cr3, cr4;
    __asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 &= ~(1ULL << 20);
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    return STATUS_SUCCESS;
)
