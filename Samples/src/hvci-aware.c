/*
 * hvci-aware - a driver that asks whether HVCI is on and adapts.
 *
 * Rule:      ZwQuerySystemInformation(SystemCodeIntegrityInformation = 103)
 *            reports CodeIntegrityOptions; bit 0x400 (HVCI_KMCI_ENABLED) means
 *            memory integrity is on (DESIGN 2.4).  This driver then allocates
 *            NonPagedPoolNx; otherwise it keeps its legacy executable
 *            NonPagedPool allocation.  A tool must run it both ways.
 * HVCI on:   NonPagedPoolNx; no violation; STATUS_SUCCESS.
 * HVCI off:  NonPagedPool (executable); STATUS_SUCCESS.
 * Verifier:  0x2000 at the ExAllocatePoolWithTag call only when HVCI is off
 *            (p3 = pool type 0, p4 = tag 'Hvci').
 * DbgPrint:  "hvcisim hvci-aware: CodeIntegrityOptions=0x..., HVCI on|off, ..."
 */
#include "hvcisim-sample.h"

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    SYSTEM_CODEINTEGRITY_INFORMATION ci = { sizeof(ci), 0 };
    BOOLEAN hvci;
    PVOID buffer;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    hvci = NT_SUCCESS(ZwQuerySystemInformation(SystemCodeIntegrityInformation,
                                               &ci, sizeof(ci), NULL)) &&
           (ci.CodeIntegrityOptions & CODEINTEGRITY_OPTION_HVCI_KMCI_ENABLED);

    buffer = ExAllocatePoolWithTag(hvci ? NonPagedPoolNx : NonPagedPool, 64,
                                   SAMPLE_TAG);
    DbgPrint("hvcisim hvci-aware: CodeIntegrityOptions=0x%lx, HVCI %s, %s\n",
             ci.CodeIntegrityOptions, hvci ? "on" : "off",
             hvci ? "NonPagedPoolNx" : "NonPagedPool (executable)");
    if (buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ExFreePoolWithTag(buffer, SAMPLE_TAG);
    return STATUS_SUCCESS;
}
