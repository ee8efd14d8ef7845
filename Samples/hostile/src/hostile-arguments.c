/* hostile-arguments - a device whose IOCTL handler passes all-ones pointers (0xFFFFFFFF'FFFFFFFF)
 * to the kernel routines that, before the containment work, overflowed inside the kernel model
 * and killed the tool. One IOCTL per routine (ARGUMENT_IOCTL(n)), so every call gets its own
 * entry point and its own outcome. */
#include "hostile.h"

#define ARGUMENT_IOCTL(n) CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800 + (n), METHOD_BUFFERED, FILE_ANY_ACCESS)
#define ALL_ONES ((void *)~(ULONG_PTR)0)

/* wdmsec.h, which mingw-w64's DDK lacks. */
NTSTATUS NTAPI IoCreateDeviceSecure(PDRIVER_OBJECT, ULONG, PUNICODE_STRING, DEVICE_TYPE, ULONG, BOOLEAN,
                                    PCUNICODE_STRING, LPCGUID, PDEVICE_OBJECT *);

static NTSTATUS CallWithAllOnes(PDRIVER_OBJECT driver, ULONG code)
{
    switch (code) {
    case ARGUMENT_IOCTL(0):
        return RtlGetVersion(ALL_ONES);
    case ARGUMENT_IOCTL(1):
        RtlCopyUnicodeString(ALL_ONES, ALL_ONES);
        return STATUS_SUCCESS;
    case ARGUMENT_IOCTL(2):
        return IoCreateDevice(driver, ~0u, ALL_ONES, FILE_DEVICE_UNKNOWN, 0, FALSE, ALL_ONES);
    case ARGUMENT_IOCTL(3):
        return IoCreateDeviceSecure(driver, ~0u, ALL_ONES, FILE_DEVICE_UNKNOWN, 0, FALSE, ALL_ONES, ALL_ONES, ALL_ONES);
    case ARGUMENT_IOCTL(4):
        MmBuildMdlForNonPagedPool(ALL_ONES);
        return STATUS_SUCCESS;
    case ARGUMENT_IOCTL(5):
        return MmMapLockedPages(ALL_ONES, KernelMode) ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
    case ARGUMENT_IOCTL(6):
        return MmMapLockedPagesSpecifyCache(ALL_ONES, KernelMode, MmCached, ALL_ONES, FALSE, NormalPagePriority)
                   ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
    case ARGUMENT_IOCTL(7):
        MmProbeAndLockPages(ALL_ONES, KernelMode, IoWriteAccess);
        return STATUS_SUCCESS;
    }
    return STATUS_INVALID_DEVICE_REQUEST;
}

static NTSTATUS Dispatch(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS status = STATUS_SUCCESS;
    if (stack->MajorFunction == IRP_MJ_DEVICE_CONTROL)
        status = CallWithAllOnes(device->DriverObject, stack->Parameters.DeviceIoControl.IoControlCode);
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = 0;
    IofCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING Path)
{
    UNREFERENCED_PARAMETER(Path);
    return CreateDeviceForAllRequests(DriverObject, L"\\Device\\HvcisimHostileArguments", Dispatch);
}
