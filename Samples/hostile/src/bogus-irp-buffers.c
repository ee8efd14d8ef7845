/* bogus-irp-buffers - a device whose IOCTL handler writes through the caller's METHOD_NEITHER
 * pointers without probing and claims more output than the buffer holds. */
#include "hostile.h"
static NTSTATUS Dispatch(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
    UNREFERENCED_PARAMETER(device);
    if (stack->MajorFunction == IRP_MJ_DEVICE_CONTROL) {
        volatile ULONG64 *out = irp->UserBuffer;
        volatile ULONG64 *in = stack->Parameters.DeviceIoControl.Type3InputBuffer;
        out[0x100000] = in[0x100000];  /* far past both buffers */
        irp->IoStatus.Information = 0x7FFFFFFF;
    }
    irp->IoStatus.Status = STATUS_SUCCESS;
    IofCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING Path)
{
    UNREFERENCED_PARAMETER(Path);
    return CreateDeviceForAllRequests(DriverObject, L"\\Device\\HvcisimBogusIrp", Dispatch);
}
