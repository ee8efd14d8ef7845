/*
 * init-rwx - an INIT section marked read/write/execute, as Visual Studio 2013
 * (WDK 8.1) emitted it.
 *
 * Rule:      W+X sections are forbidden, except INIT: Windows 10 strips the
 *            write permission from INIT and the driver stays compatible
 *            (DESIGN 2.2).  DriverEntry lives in section "INIT"; the Makefile
 *            clears its read-only flag in the object file, so the section
 *            header says CODE|EXECUTE|READ|WRITE (0xE0000020; VS2013 also set
 *            DISCARDABLE, which GNU ld cannot express).  No other section is
 *            W+X.
 * HVCI on:   loads, INIT mapped R+X; DriverEntry returns STATUS_SUCCESS.
 *            HVCI off: the same.
 * Verifier:  no violation (note INIT_SECTION_WX only).
 */
#include "hvcisim-sample.h"

static __attribute__((noipa)) ULONG Answer(void)
{
    return 42;
}

__attribute__((section("INIT")))
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    DbgPrint("hvcisim init-rwx: Answer() = %lu\n", Answer());
    return STATUS_SUCCESS;
}
