/* looping-thread - DriverEntry starts a system thread that sleeps a second per round forever
 * and a periodic one-second timer whose DPC does nothing, then returns: the background work a
 * vendor driver leaves running. Virtual time runs the rounds without waiting and parks both
 * routines after their budget of emulated time (docs/virtual-time.md). */
#include "hostile.h"

static KTIMER timer;
static KDPC dpc;

static VOID Worker(PVOID context)
{
    LARGE_INTEGER second = {.QuadPart = -10000000LL};
    UNREFERENCED_PARAMETER(context);
    for (;;) KeDelayExecutionThread(KernelMode, FALSE, &second);
}

static VOID Tick(PKDPC self, PVOID context, PVOID argument1, PVOID argument2)
{
    UNREFERENCED_PARAMETER(self);
    UNREFERENCED_PARAMETER(context);
    UNREFERENCED_PARAMETER(argument1);
    UNREFERENCED_PARAMETER(argument2);
}

HOSTILE_ENTRY(
    HANDLE thread;
    LARGE_INTEGER due = {.QuadPart = -10000000LL};
    NTSTATUS status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, Worker, NULL);
    if (!NT_SUCCESS(status)) return status;
    ZwClose(thread);
    KeInitializeDpc(&dpc, Tick, NULL);
    KeInitializeTimer(&timer);
    KeSetTimerEx(&timer, due, 1000, &dpc);
    return STATUS_SUCCESS;
)
