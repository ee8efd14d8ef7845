/* rdmsr-unknown - rdmsr of a known MSR (APIC base), then of one no processor implements (#GP). */
#include "hostile.h"
static __attribute__((noipa)) ULONG64 ReadMsr(ULONG index)
{
    ULONG low, high;
    __asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(index));
    return ((ULONG64)high << 32) | low;
}
HOSTILE_ENTRY(ReadMsr(0x1B); return (NTSTATUS)ReadMsr(0x12345678);)
