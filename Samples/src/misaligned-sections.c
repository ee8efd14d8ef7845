/*
 * misaligned-sections - sections that do not start on a page boundary.
 *
 * Rule:      SectionAlignment and every section's VirtualAddress must be a
 *            multiple of 0x1000 (DESIGN 2.2), or one page may need two
 *            protections (here .text and writable .idata share a page).
 *            The Makefile links this one with --section-alignment 0x200
 *            --file-alignment 0x200; the C code itself is ordinary.
 * HVCI on:   the image does not load.  HVCI off: loads (pages get the union
 *            of the protections); DriverEntry returns STATUS_SUCCESS.
 * Verifier:  0x2004 at load (image has a section that is not page aligned).
 */
#include "hvcisim-sample.h"

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    DbgPrint("hvcisim misaligned-sections: loaded\n");
    return STATUS_SUCCESS;
}
