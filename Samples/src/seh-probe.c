/*
 * seh-probe - structured exception handling: __try/__except around
 *            ProbeForRead and ExRaiseStatus.
 *
 * Rule:      none of HVCI's; it exercises the kernel model's exception
 *            dispatch (.pdata/.xdata unwinding, __C_specific_handler scope
 *            tables, filters, nonvolatile registers restored by the unwind).
 * How:       gcc has no __try/__except in C, so the protected functions are
 *            written in assembly with the SEH directives MSVC's output has:
 *            `.seh_handler __C_specific_handler, @except` and a SCOPE_TABLE
 *            (Count, then BeginAddress, EndAddress, HandlerAddress,
 *            JumpTarget) in `.seh_handlerdata`.  HandlerAddress 1 is
 *            EXCEPTION_EXECUTE_HANDLER; any other value is a filter function.
 *            The __except blocks read the exception code from EAX, which is
 *            what RtlUnwindEx hands them (GetExceptionCode()).
 * Checks:    1. ProbeForRead(kernel address) raises STATUS_ACCESS_VIOLATION,
 *               caught by a constant-filter __except;
 *            2. ProbeForRead(user address) returns normally;
 *            3. a filter function sees STATUS_ACCESS_VIOLATION and takes it;
 *            4. for STATUS_DATATYPE_MISALIGNMENT the filter declines
 *               (EXCEPTION_CONTINUE_SEARCH) and the next scope takes it;
 *            5. ExRaiseStatus two frames down is caught, with RBX restored.
 * Returns:   STATUS_SUCCESS when every check saw what Windows does, else
 *            0xE000000n for the first check n that did not.  Without SEH
 *            support the first probe ends in bug check 0x1E
 *            (KMODE_EXCEPTION_NOT_HANDLED, 0xC0000005).
 */
#include "hvcisim-sample.h"

#define SEH_RBX_MAGIC 0x1122334455667788ULL

NTSTATUS SehProbeRead(PVOID Address, SIZE_T Length);
NTSTATUS SehProbeFiltered(PVOID Address, SIZE_T Length, ULONG Alignment);
NTSTATUS SehOuter(void);

volatile ULONG SehFilterSaw;

/* __except filter: LONG filter(EXCEPTION_POINTERS *, PVOID EstablisherFrame). */
__attribute__((used)) LONG SehFilter(PEXCEPTION_POINTERS Info, PVOID Frame)
{
    (void)Frame;
    SehFilterSaw = (ULONG)Info->ExceptionRecord->ExceptionCode;
    return SehFilterSaw == (ULONG)STATUS_ACCESS_VIOLATION ? EXCEPTION_EXECUTE_HANDLER
                                                          : EXCEPTION_CONTINUE_SEARCH;
}

/* Two frames below SehOuter's __try: clobbers RBX (saved by its prologue). */
__attribute__((used, noinline)) void SehInner(void)
{
    __asm__ __volatile__("movq $0, %%rbx" ::: "rbx");
    ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
}

__asm__(
    "    .text\n"
    /* NTSTATUS SehProbeRead(Address, Length):
       __try { ProbeForRead(Address, Length, 1); return 0; }
       __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); } */
    "    .globl SehProbeRead\n"
    "    .def SehProbeRead; .scl 2; .type 32; .endef\n"
    "    .seh_proc SehProbeRead\n"
    "SehProbeRead:\n"
    "    subq $40, %rsp\n"
    "    .seh_stackalloc 40\n"
    "    .seh_endprologue\n"
    "    movl $1, %r8d\n"
    ".Lread_try:\n"
    "    call *__imp_ProbeForRead(%rip)\n"
    "    xorl %eax, %eax\n"
    ".Lread_end:\n"
    "    addq $40, %rsp\n"
    "    ret\n"
    ".Lread_except:\n"
    "    addq $40, %rsp\n"
    "    ret\n"
    "    .seh_handler __C_specific_handler, @except\n"
    "    .seh_handlerdata\n"
    "    .long 1\n"
    "    .rva .Lread_try, .Lread_end\n"
    "    .long 1\n"
    "    .rva .Lread_except\n"
    "    .text\n"
    "    .seh_endproc\n"

    /* NTSTATUS SehProbeFiltered(Address, Length, Alignment):
       __try { __try { ProbeForRead(...); return 0; }
               __except (SehFilter(...)) { return GetExceptionCode(); } }
       __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode() | 0x10000000; } */
    "    .globl SehProbeFiltered\n"
    "    .def SehProbeFiltered; .scl 2; .type 32; .endef\n"
    "    .seh_proc SehProbeFiltered\n"
    "SehProbeFiltered:\n"
    "    subq $40, %rsp\n"
    "    .seh_stackalloc 40\n"
    "    .seh_endprologue\n"
    ".Lfilt_try:\n"
    "    call *__imp_ProbeForRead(%rip)\n"
    "    xorl %eax, %eax\n"
    ".Lfilt_end:\n"
    "    addq $40, %rsp\n"
    "    ret\n"
    ".Lfilt_inner_except:\n"
    "    addq $40, %rsp\n"
    "    ret\n"
    ".Lfilt_outer_except:\n"
    "    orl $0x10000000, %eax\n"
    "    addq $40, %rsp\n"
    "    ret\n"
    "    .seh_handler __C_specific_handler, @except\n"
    "    .seh_handlerdata\n"
    "    .long 2\n"
    "    .rva .Lfilt_try, .Lfilt_end, SehFilter, .Lfilt_inner_except\n"
    "    .rva .Lfilt_try, .Lfilt_end\n"
    "    .long 1\n"
    "    .rva .Lfilt_outer_except\n"
    "    .text\n"
    "    .seh_endproc\n"

    /* NTSTATUS SehOuter(void): RBX = magic; __try { SehInner(); return 0; }
       __except (1) { return RBX == magic ? GetExceptionCode() : 0xE00000FF; } */
    "    .globl SehOuter\n"
    "    .def SehOuter; .scl 2; .type 32; .endef\n"
    "    .seh_proc SehOuter\n"
    "SehOuter:\n"
    "    pushq %rbx\n"
    "    .seh_pushreg %rbx\n"
    "    subq $32, %rsp\n"
    "    .seh_stackalloc 32\n"
    "    .seh_endprologue\n"
    "    movabsq $0x1122334455667788, %rbx\n"
    ".Louter_try:\n"
    "    call SehInner\n"
    "    nop\n"
    ".Louter_end:\n"
    "    xorl %eax, %eax\n"
    "    jmp .Louter_ret\n"
    ".Louter_except:\n"
    "    movabsq $0x1122334455667788, %rcx\n"
    "    cmpq %rcx, %rbx\n"
    "    je .Louter_ret\n"
    "    movl $0xE00000FF, %eax\n"
    ".Louter_ret:\n"
    "    addq $32, %rsp\n"
    "    popq %rbx\n"
    "    ret\n"
    "    .seh_handler __C_specific_handler, @except\n"
    "    .seh_handlerdata\n"
    "    .long 1\n"
    "    .rva .Louter_try, .Louter_end\n"
    "    .long 1\n"
    "    .rva .Louter_except\n"
    "    .text\n"
    "    .seh_endproc\n");

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    (void)DriverObject;
    (void)RegistryPath;

    status = SehProbeRead((PVOID)0xFFFFF80000001000ULL, 16);
    DbgPrint("seh-probe: kernel address -> 0x%08X\n", status);
    if (status != STATUS_ACCESS_VIOLATION) return (NTSTATUS)0xE0000001;

    status = SehProbeRead((PVOID)0x10000ULL, 16);
    DbgPrint("seh-probe: user address -> 0x%08X\n", status);
    if (status != STATUS_SUCCESS) return (NTSTATUS)0xE0000002;

    status = SehProbeFiltered((PVOID)0xFFFFF80000001000ULL, 16, 1);
    DbgPrint("seh-probe: filter -> 0x%08X (filter saw 0x%08X)\n", status, SehFilterSaw);
    if (status != STATUS_ACCESS_VIOLATION || SehFilterSaw != (ULONG)STATUS_ACCESS_VIOLATION)
        return (NTSTATUS)0xE0000003;

    status = SehProbeFiltered((PVOID)0x10001ULL, 16, 4);
    DbgPrint("seh-probe: misaligned -> 0x%08X\n", status);
    if (status != (NTSTATUS)(STATUS_DATATYPE_MISALIGNMENT | 0x10000000)) return (NTSTATUS)0xE0000004;

    status = SehOuter();
    DbgPrint("seh-probe: nested raise -> 0x%08X\n", status);
    if (status != STATUS_INSUFFICIENT_RESOURCES) return (NTSTATUS)0xE0000005;

    return STATUS_SUCCESS;
}
