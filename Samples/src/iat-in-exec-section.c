/*
 * iat-in-exec-section - the import address table inside an executable section.
 *
 * Rule:      data directory 12 (IAT) must not lie in an executable section
 *            (DESIGN 2.2): the loader writes the IAT, so its page would have
 *            to be writable and executable.  The Makefile links this one with
 *            iat-in-text.ld, which puts the IAT (.idata$5) at the end of .text
 *            (like MSVC's /MERGE:.rdata=.text did) and leaves the import
 *            descriptors in .idata.  The C code itself is ordinary.
 * HVCI on:   the image does not load.  HVCI off: loads; DriverEntry returns
 *            STATUS_SUCCESS.
 * Verifier:  0x2005 at load (image has its IAT in an executable section).
 */
#include "hvcisim-sample.h"

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    DbgPrint("hvcisim iat-in-exec-section: loaded\n");
    return STATUS_SUCCESS;
}
