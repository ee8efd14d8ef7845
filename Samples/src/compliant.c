/*
 * compliant - a driver that follows every HVCI rule.
 *
 * Rule:      data is never executable: pool from NonPagedPoolNx, MDL mappings
 *            with MdlMappingNoExecute; sections are page aligned, none is W+X.
 * HVCI on:   loads and runs; nothing is flagged.  HVCI off: the same.
 * Verifier:  no code-integrity violation.  Static notes only, because it
 *            imports ExAllocatePoolWithTag and MmMapLockedPagesSpecifyCache,
 *            whose arguments DV checks at run time.
 * Also:      creates \Device\HvciSimCompliant + \DosDevices\HvciSimCompliant,
 *            handles IRP_MJ_CREATE/CLOSE and IOCTL_HVCISIM_INCREMENT
 *            (0x80002000, METHOD_BUFFERED: ULONG in -> ULONG + 1 out), and
 *            deletes both on unload.  DriverEntry returns STATUS_SUCCESS.
 */
#include "hvcisim-sample.h"

#define IOCTL_HVCISIM_INCREMENT \
    CTL_CODE(0x8000u, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

#define USTR(s) { sizeof(s) - sizeof(WCHAR), sizeof(s), (PWCH)(s) }
static UNICODE_STRING DeviceName = USTR(L"\\Device\\HvciSimCompliant");
static UNICODE_STRING LinkName = USTR(L"\\DosDevices\\HvciSimCompliant");

static NTSTATUS CompleteIrp(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS DispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    return CompleteIrp(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PULONG value = Irp->AssociatedIrp.SystemBuffer;

    UNREFERENCED_PARAMETER(DeviceObject);
    if (stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_HVCISIM_INCREMENT)
        return CompleteIrp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(ULONG) ||
        stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG))
        return CompleteIrp(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    *value += 1; /* the system buffer holds the input and receives the output */
    return CompleteIrp(Irp, STATUS_SUCCESS, sizeof(ULONG));
}

static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    IoDeleteSymbolicLink(&LinkName);
    IoDeleteDevice(DriverObject->DeviceObject);
}

/* NX pool, described by an MDL, mapped a second time with an NX mapping. */
static NTSTATUS UseNxMemory(void)
{
    NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;
    PULONG buffer, view;
    PMDL mdl;

    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, SAMPLE_TAG);
    if (buffer == NULL)
        return status;
#ifdef HVCISIM_VARIANT_EXECUTABLE_POOL
    /* The variant (variants/compliant-v2.c): one more allocation, from
     * executable pool -- Driver Verifier's 0xC4/0x2000. */
    {
        PVOID extra = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, SAMPLE_TAG);
        if (extra != NULL)
            ExFreePoolWithTag(extra, SAMPLE_TAG);
    }
#endif
    mdl = IoAllocateMdl(buffer, PAGE_SIZE, FALSE, FALSE, NULL);
    if (mdl != NULL) {
        MmBuildMdlForNonPagedPool(mdl);
        view = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL,
                                            FALSE,
                                            NormalPagePriority | MdlMappingNoExecute);
        if (view != NULL) {
            view[0] = 0x48564349; /* the view aliases the buffer... */
            status = buffer[0] == 0x48564349 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
            MmUnmapLockedPages(view, mdl);
        }
        IoFreeMdl(mdl);
    }
    ExFreePoolWithTag(buffer, SAMPLE_TAG);
    return status;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDEVICE_OBJECT device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    status = UseNxMemory();
    if (!NT_SUCCESS(status))
        return status;

    status = IoCreateDevice(DriverObject, 0, &DeviceName, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&LinkName, &DeviceName);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(device);
        return status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
