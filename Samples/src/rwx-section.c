/*
 * rwx-section - an image section that is both writable and executable.
 *
 * Rule:      no section may be W+X (DESIGN 2.2).  Function WxAnswer lives in
 *            section ".wx"; the Makefile clears the read-only flag of ".wx"
 *            in the object file (objcopy --set-section-flags), so the linked
 *            section header says CODE|EXECUTE|READ|WRITE (0xE0000020).
 * HVCI on:   the image does not load (a page cannot be writable and
 *            executable).  HVCI off: loads; DriverEntry returns STATUS_SUCCESS.
 * Verifier:  0x2003 at load (image has an executable and writable section;
 *            p4 = section name ".wx").
 */
#include "hvcisim-sample.h"

__attribute__((section(".wx"), noipa)) static ULONG WxAnswer(void)
{
    return 42;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    DbgPrint("hvcisim rwx-section: WxAnswer() = %lu\n", WxAnswer());
    return STATUS_SUCCESS;
}
