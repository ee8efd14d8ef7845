/*
 * seh-finally - structured exception handling: __try/__finally termination
 *              handlers run by the unwind (an exception taken by an outer
 *              __except, and RtlUnwind called by the driver).
 *
 * Rule:      none of HVCI's; it exercises the kernel model's unwind phase
 *            (RtlUnwindEx's second pass and __C_specific_handler's
 *            termination handlers).
 * How:       gcc has no __try/__finally in C, so the guarded functions are
 *            written in assembly with the SEH directives MSVC's output has:
 *            `.seh_handler __C_specific_handler, @except, @unwind` and a
 *            SCOPE_TABLE (Count, then BeginAddress, EndAddress,
 *            HandlerAddress, JumpTarget) in `.seh_handlerdata`.  A scope with
 *            JumpTarget 0 is a __finally: HandlerAddress is the termination
 *            handler, void handler(BOOLEAN AbnormalTermination, PVOID
 *            EstablisherFrame); the unwind calls it with TRUE.  Each handler
 *            logs its id, AbnormalTermination, EstablisherFrame and the
 *            ExceptionFlags of the record being unwound at that moment.
 * Checks:    1. ExRaiseStatus in SehFinInner, under two nested __finally
 *               blocks, is taken by SehFinOuter's filtered __except, which has
 *               a __finally inside it and one around it: the unwind runs the
 *               inner function's handlers innermost first (record flags
 *               EXCEPTION_UNWINDING), then the target frame's inner one
 *               (EXCEPTION_UNWINDING | EXCEPTION_TARGET_UNWIND), not the one
 *               around the __except, and the __except block gets the code;
 *            2. RtlUnwind(SehFinUnwindOuter's frame, a label in it, &record,
 *               0x1234) from SehFinUnwindInner runs SehFinUnwindInner's
 *               __finally, then the target frame's __finally that does not
 *               cover the target, and lands on the label with RAX = 0x1234
 *               and RBX restored.
 * Returns:   STATUS_SUCCESS when every check saw what Windows does, else
 *            0xE000000n for the first check n that did not.  Without
 *            termination handlers in the unwind the log stays empty:
 *            0xE0000001.
 */
#include "hvcisim-sample.h"

#define FIN_RBX_MAGIC 0x1122334455667788ULL
#define FIN_ABNORMAL 0x100

NTSTATUS SehFinOuter(void);
NTSTATUS SehFinUnwindOuter(void);

/* What the termination handlers saw, in call order. */
volatile ULONG FinLog[8];
volatile ULONG_PTR FinFrames[8];
volatile ULONG FinFlags[8];
volatile ULONG FinCount;
/* The record being unwound (set by the filter, or the one passed to RtlUnwind). */
PEXCEPTION_RECORD volatile FinRecord;
EXCEPTION_RECORD FinUnwindRecord;
/* Establisher frames (RSP after the prologue), stored by the functions themselves. */
volatile ULONG_PTR FinInnerFrame, FinOuterFrame, FinUnwindInnerFrame, FinUnwindOuterFrame;

static void FinNote(ULONG Id, BOOLEAN Abnormal, PVOID Frame)
{
    ULONG n = FinCount;
    if (n >= 8) return;
    FinLog[n] = Id | (Abnormal ? FIN_ABNORMAL : 0);
    FinFrames[n] = (ULONG_PTR)Frame;
    FinFlags[n] = FinRecord ? FinRecord->ExceptionFlags : 0xFFFFFFFF;
    FinCount = n + 1;
}

/* Termination handlers: void handler(BOOLEAN AbnormalTermination, PVOID EstablisherFrame). */
__attribute__((used)) void FinB1(BOOLEAN Abnormal, PVOID Frame) { FinNote(0xB1, Abnormal, Frame); }
__attribute__((used)) void FinB2(BOOLEAN Abnormal, PVOID Frame) { FinNote(0xB2, Abnormal, Frame); }
__attribute__((used)) void FinA1(BOOLEAN Abnormal, PVOID Frame) { FinNote(0xA1, Abnormal, Frame); }
__attribute__((used)) void FinA2(BOOLEAN Abnormal, PVOID Frame) { FinNote(0xA2, Abnormal, Frame); }
__attribute__((used)) void FinD1(BOOLEAN Abnormal, PVOID Frame) { FinNote(0xD1, Abnormal, Frame); }
__attribute__((used)) void FinC1(BOOLEAN Abnormal, PVOID Frame) { FinNote(0xC1, Abnormal, Frame); }
__attribute__((used)) void FinC2(BOOLEAN Abnormal, PVOID Frame) { FinNote(0xC2, Abnormal, Frame); }

/* __except filter: keeps the record (the unwind's) and takes the exception. */
__attribute__((used)) LONG FinFilter(PEXCEPTION_POINTERS Info, PVOID Frame)
{
    (void)Frame;
    FinRecord = Info->ExceptionRecord;
    return EXCEPTION_EXECUTE_HANDLER;
}

__asm__(
    "    .text\n"
    /* void SehFinInner(void):
       __try { __try { ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES); } __finally { FinB1 } } __finally { FinB2 } */
    "    .globl SehFinInner\n"
    "    .def SehFinInner; .scl 2; .type 32; .endef\n"
    "    .seh_proc SehFinInner\n"
    "SehFinInner:\n"
    "    pushq %rbx\n"
    "    .seh_pushreg %rbx\n"
    "    subq $32, %rsp\n"
    "    .seh_stackalloc 32\n"
    "    .seh_endprologue\n"
    "    movq %rsp, FinInnerFrame(%rip)\n"
    "    movl $0xC000009A, %ecx\n"
    ".Lfin_inner_try:\n"
    "    call *__imp_ExRaiseStatus(%rip)\n"
    "    nop\n"
    ".Lfin_inner_end:\n"
    "    addq $32, %rsp\n"
    "    popq %rbx\n"
    "    ret\n"
    "    .seh_handler __C_specific_handler, @except, @unwind\n"
    "    .seh_handlerdata\n"
    "    .long 2\n"
    "    .rva .Lfin_inner_try, .Lfin_inner_end, FinB1\n"
    "    .long 0\n"
    "    .rva .Lfin_inner_try, .Lfin_inner_end, FinB2\n"
    "    .long 0\n"
    "    .text\n"
    "    .seh_endproc\n"

    /* NTSTATUS SehFinOuter(void):
       __try { __try { __try { SehFinInner(); return 0; } __finally { FinA1 } }
               __except (FinFilter(...)) { return GetExceptionCode(); } } __finally { FinA2 } */
    "    .globl SehFinOuter\n"
    "    .def SehFinOuter; .scl 2; .type 32; .endef\n"
    "    .seh_proc SehFinOuter\n"
    "SehFinOuter:\n"
    "    subq $40, %rsp\n"
    "    .seh_stackalloc 40\n"
    "    .seh_endprologue\n"
    "    movq %rsp, FinOuterFrame(%rip)\n"
    ".Lfin_outer_try:\n"
    "    call SehFinInner\n"
    "    nop\n"
    ".Lfin_outer_end:\n"
    "    xorl %eax, %eax\n"
    "    jmp .Lfin_outer_ret\n"
    ".Lfin_outer_except:\n"
    "    nop\n"
    ".Lfin_outer_ret:\n"
    "    addq $40, %rsp\n"
    "    ret\n"
    ".Lfin_outer_all_end:\n"
    "    .seh_handler __C_specific_handler, @except, @unwind\n"
    "    .seh_handlerdata\n"
    "    .long 3\n"
    "    .rva .Lfin_outer_try, .Lfin_outer_end, FinA1\n"
    "    .long 0\n"
    "    .rva .Lfin_outer_try, .Lfin_outer_end, FinFilter, .Lfin_outer_except\n"
    "    .rva .Lfin_outer_try, .Lfin_outer_all_end, FinA2\n"
    "    .long 0\n"
    "    .text\n"
    "    .seh_endproc\n"

    /* void SehFinUnwindInner(PVOID TargetFrame, PVOID TargetIp):
       RBX = 0; __try { RtlUnwind(TargetFrame, TargetIp, &FinUnwindRecord, 0x1234); } __finally { FinD1 } */
    "    .globl SehFinUnwindInner\n"
    "    .def SehFinUnwindInner; .scl 2; .type 32; .endef\n"
    "    .seh_proc SehFinUnwindInner\n"
    "SehFinUnwindInner:\n"
    "    pushq %rbx\n"
    "    .seh_pushreg %rbx\n"
    "    subq $32, %rsp\n"
    "    .seh_stackalloc 32\n"
    "    .seh_endprologue\n"
    "    movq %rsp, FinUnwindInnerFrame(%rip)\n"
    "    xorl %ebx, %ebx\n"
    "    leaq FinUnwindRecord(%rip), %r8\n"
    "    movl $0x1234, %r9d\n"
    ".Lfin_unwi_try:\n"
    "    call *__imp_RtlUnwind(%rip)\n"
    "    nop\n"
    ".Lfin_unwi_end:\n"
    "    addq $32, %rsp\n"
    "    popq %rbx\n"
    "    ret\n"
    "    .seh_handler __C_specific_handler, @except, @unwind\n"
    "    .seh_handlerdata\n"
    "    .long 1\n"
    "    .rva .Lfin_unwi_try, .Lfin_unwi_end, FinD1\n"
    "    .long 0\n"
    "    .text\n"
    "    .seh_endproc\n"

    /* NTSTATUS SehFinUnwindOuter(void): RBX = magic;
       __try { __try { SehFinUnwindInner(<this frame>, &&target); return 0xE00000EE; } __finally { FinC1 }
               target: return RBX == magic ? RAX : 0xE00000FF; } __finally { FinC2 } */
    "    .globl SehFinUnwindOuter\n"
    "    .def SehFinUnwindOuter; .scl 2; .type 32; .endef\n"
    "    .seh_proc SehFinUnwindOuter\n"
    "SehFinUnwindOuter:\n"
    "    pushq %rbx\n"
    "    .seh_pushreg %rbx\n"
    "    subq $32, %rsp\n"
    "    .seh_stackalloc 32\n"
    "    .seh_endprologue\n"
    "    movabsq $0x1122334455667788, %rbx\n"
    "    movq %rsp, %rcx\n"
    "    movq %rsp, FinUnwindOuterFrame(%rip)\n"
    "    leaq .Lfin_unwo_target(%rip), %rdx\n"
    ".Lfin_unwo_try:\n"
    "    call SehFinUnwindInner\n"
    "    nop\n"
    ".Lfin_unwo_end:\n"
    "    movl $0xE00000EE, %eax\n"
    "    jmp .Lfin_unwo_ret\n"
    ".Lfin_unwo_target:\n"
    "    movabsq $0x1122334455667788, %rcx\n"
    "    cmpq %rcx, %rbx\n"
    "    je .Lfin_unwo_ret\n"
    "    movl $0xE00000FF, %eax\n"
    ".Lfin_unwo_ret:\n"
    "    addq $32, %rsp\n"
    "    popq %rbx\n"
    "    ret\n"
    ".Lfin_unwo_all_end:\n"
    "    .seh_handler __C_specific_handler, @except, @unwind\n"
    "    .seh_handlerdata\n"
    "    .long 2\n"
    "    .rva .Lfin_unwo_try, .Lfin_unwo_end, FinC1\n"
    "    .long 0\n"
    "    .rva .Lfin_unwo_try, .Lfin_unwo_all_end, FinC2\n"
    "    .long 0\n"
    "    .text\n"
    "    .seh_endproc\n");

/* Whether entry i of the log is handler Id, abnormal, in Frame, with record flags Flags. */
static BOOLEAN FinSaw(ULONG i, ULONG Id, ULONG_PTR Frame, ULONG Flags)
{
    return FinLog[i] == (Id | FIN_ABNORMAL) && FinFrames[i] == Frame && FinFlags[i] == Flags;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    ULONG i;
    (void)DriverObject;
    (void)RegistryPath;

    /* 1. Exception taken by an outer __except: EXCEPTION_UNWINDING (2), then | EXCEPTION_TARGET_UNWIND (0x20). */
    status = SehFinOuter();
    DbgPrint("seh-finally: raise -> 0x%08X, %u termination handlers\n", status, FinCount);
    for (i = 0; i < FinCount; i++)
        DbgPrint("seh-finally:   %02X abnormal=%u flags=0x%X\n", FinLog[i] & 0xFF, FinLog[i] >> 8, FinFlags[i]);
    if (FinCount != 3 || !FinSaw(0, 0xB1, FinInnerFrame, 0x2) || !FinSaw(1, 0xB2, FinInnerFrame, 0x2) ||
        !FinSaw(2, 0xA1, FinOuterFrame, 0x22) || status != STATUS_INSUFFICIENT_RESOURCES)
        return (NTSTATUS)0xE0000001;

    /* 2. RtlUnwind called by the driver. */
    FinCount = 0;
    FinUnwindRecord.ExceptionCode = 0xE0001234;
    FinRecord = &FinUnwindRecord;
    status = SehFinUnwindOuter();
    DbgPrint("seh-finally: RtlUnwind -> 0x%08X, %u termination handlers\n", status, FinCount);
    for (i = 0; i < FinCount; i++)
        DbgPrint("seh-finally:   %02X abnormal=%u flags=0x%X\n", FinLog[i] & 0xFF, FinLog[i] >> 8, FinFlags[i]);
    if (FinCount != 2 || !FinSaw(0, 0xD1, FinUnwindInnerFrame, 0x2) ||
        !FinSaw(1, 0xC1, FinUnwindOuterFrame, 0x22) || status != 0x1234)
        return (NTSTATUS)0xE0000002;

    return STATUS_SUCCESS;
}
