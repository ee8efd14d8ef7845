/*
 * kmdf-sample.c - a KMDF (PnP) driver for hvcisim: bound to the framework by
 * its own stub (DriverEntry -> WdfVersionBind -> KmdfDriverEntry), with the
 * main callbacks of a KMDF function driver, and one rule broken on purpose:
 * EvtDevicePrepareHardware creates its scratch WDFMEMORY from NonPagedPool,
 * an executable pool type (Driver Verifier 0xC4 / 0x2000; NonPagedPoolNx
 * would be the fix). Everything else is compliant.
 *
 *   EvtDriverDeviceAdd      device \Device\HvciSimKmdf, link \DosDevices\HvciSimKmdf,
 *                           a parallel default queue
 *   EvtDevicePrepareHardware  WdfMemoryCreate(NonPagedPool, 64 bytes, tag 'Kmdf')
 *   EvtDeviceD0Entry/Exit, EvtDeviceReleaseHardware  succeed
 *   EvtDeviceFileCreate     counts opens, completes STATUS_SUCCESS
 *   EvtIoDeviceControl      IOCTL 0x80002004: ULONG n -> n + 1 (Information 4);
 *                           short buffers STATUS_BUFFER_TOO_SMALL, other codes
 *                           STATUS_INVALID_DEVICE_REQUEST
 *   EvtIoRead               fills the buffer with 'K', Information = length
 *   EvtIoWrite              accepts everything, Information = length
 *   EvtDriverUnload         prints a line
 */
#include "kmdf/kmdf-min.h"

#define KMDF_SAMPLE_TAG 'fdmK' /* reads "Kmdf" in memory */
#define IOCTL_KMDF_SAMPLE_INCREMENT CTL_CODE(0x8000, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

WDFFUNC *WdfFunctions;
HVCISIM_WDF_DRIVER_GLOBALS *WdfDriverGlobals;

typedef struct {
    ULONG Opens;
    ULONG Ioctls;
    WDFMEMORY Scratch;
} DEVICE_CONTEXT;

static const WDF_OBJECT_CONTEXT_TYPE_INFO DeviceContextType = {
    sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), "DEVICE_CONTEXT", sizeof(DEVICE_CONTEXT), &DeviceContextType, NULL,
};

static DEVICE_CONTEXT *GetDeviceContext(WDFDEVICE device)
{
    return (DEVICE_CONTEXT *)WdfObjectGetTypedContextWorker(device, &DeviceContextType);
}

static NTSTATUS EvtDevicePrepareHardware(WDFDEVICE device, WDFCMRESLIST raw, WDFCMRESLIST translated)
{
    (void)raw;
    (void)translated;
    DEVICE_CONTEXT *context = GetDeviceContext(device);
    /* The designed finding: NonPagedPool is executable (0x2000). */
    return WdfMemoryCreate(NULL, NonPagedPool, KMDF_SAMPLE_TAG, 64, &context->Scratch, NULL);
}

static NTSTATUS EvtDeviceReleaseHardware(WDFDEVICE device, WDFCMRESLIST translated)
{
    (void)device;
    (void)translated;
    return STATUS_SUCCESS;
}

static NTSTATUS EvtDeviceD0Entry(WDFDEVICE device, ULONG previousState)
{
    (void)device;
    DbgPrint("kmdf-sample: D0 entry from D%lu\n", previousState - 1);
    return STATUS_SUCCESS;
}

static NTSTATUS EvtDeviceD0Exit(WDFDEVICE device, ULONG targetState)
{
    (void)device;
    (void)targetState;
    return STATUS_SUCCESS;
}

static void EvtDeviceFileCreate(WDFDEVICE device, WDFREQUEST request, WDFFILEOBJECT file)
{
    (void)file;
    GetDeviceContext(device)->Opens++;
    WdfRequestComplete(request, STATUS_SUCCESS);
}

static void EvtFileClose(WDFFILEOBJECT file)
{
    (void)file;
}

static void EvtIoDeviceControl(WDFQUEUE queue, WDFREQUEST request, SIZE_T outputLength, SIZE_T inputLength,
                               ULONG code)
{
    (void)outputLength;
    (void)inputLength;
    GetDeviceContext(WdfIoQueueGetDevice(queue))->Ioctls++;
    if (code != (ULONG)IOCTL_KMDF_SAMPLE_INCREMENT) {
        WdfRequestComplete(request, STATUS_INVALID_DEVICE_REQUEST);
        return;
    }
    ULONG *in, *out;
    SIZE_T length;
    NTSTATUS status = WdfRequestRetrieveInputBuffer(request, sizeof(ULONG), (PVOID *)&in, &length);
    if (NT_SUCCESS(status))
        status = WdfRequestRetrieveOutputBuffer(request, sizeof(ULONG), (PVOID *)&out, &length);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(request, status);
        return;
    }
    *out = *in + 1;
    WdfRequestCompleteWithInformation(request, STATUS_SUCCESS, sizeof(ULONG));
}

static void EvtIoRead(WDFQUEUE queue, WDFREQUEST request, SIZE_T length)
{
    (void)queue;
    UCHAR *buffer;
    SIZE_T available;
    NTSTATUS status = WdfRequestRetrieveOutputBuffer(request, 1, (PVOID *)&buffer, &available);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(request, status);
        return;
    }
    for (SIZE_T i = 0; i < available && i < length; i++)
        buffer[i] = 'K';
    WdfRequestCompleteWithInformation(request, STATUS_SUCCESS, available < length ? available : length);
}

static void EvtIoWrite(WDFQUEUE queue, WDFREQUEST request, SIZE_T length)
{
    (void)queue;
    WdfRequestCompleteWithInformation(request, STATUS_SUCCESS, length);
}

static NTSTATUS EvtDriverDeviceAdd(WDFDRIVER driver, PWDFDEVICE_INIT init)
{
    (void)driver;
    UNICODE_STRING name, link;
    RtlInitUnicodeString(&name, L"\\Device\\HvciSimKmdf");
    RtlInitUnicodeString(&link, L"\\DosDevices\\HvciSimKmdf");
    NTSTATUS status = WdfDeviceInitAssignName(init, &name);
    if (!NT_SUCCESS(status))
        return status;

    WDF_PNPPOWER_EVENT_CALLBACKS pnp = {0};
    pnp.Size = sizeof(pnp);
    pnp.EvtDevicePrepareHardware = EvtDevicePrepareHardware;
    pnp.EvtDeviceReleaseHardware = EvtDeviceReleaseHardware;
    pnp.EvtDeviceD0Entry = EvtDeviceD0Entry;
    pnp.EvtDeviceD0Exit = EvtDeviceD0Exit;
    WdfDeviceInitSetPnpPowerEventCallbacks(init, &pnp);

    WDF_FILEOBJECT_CONFIG files = {0};
    files.Size = sizeof(files);
    files.EvtDeviceFileCreate = EvtDeviceFileCreate;
    files.EvtFileClose = EvtFileClose;
    files.AutoForwardCleanupClose = 2;
    WdfDeviceInitSetFileObjectConfig(init, &files, NULL);

    WDF_OBJECT_ATTRIBUTES attributes = {0};
    attributes.Size = sizeof(attributes);
    attributes.ExecutionLevel = 1;
    attributes.SynchronizationScope = 1;
    attributes.ContextTypeInfo = &DeviceContextType;
    WDFDEVICE device;
    status = WdfDeviceCreate(&init, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    status = WdfDeviceCreateSymbolicLink(device, &link);
    if (!NT_SUCCESS(status))
        return status;

    WDF_IO_QUEUE_CONFIG queue = {0};
    queue.Size = sizeof(queue);
    queue.DispatchType = 2; /* parallel */
    queue.PowerManaged = 2;
    queue.DefaultQueue = TRUE;
    queue.EvtIoDeviceControl = EvtIoDeviceControl;
    queue.EvtIoRead = EvtIoRead;
    queue.EvtIoWrite = EvtIoWrite;
    return WdfIoQueueCreate(device, &queue, NULL, NULL);
}

static void EvtDriverUnload(WDFDRIVER driver)
{
    (void)driver;
    DbgPrint("kmdf-sample: unload\n");
}

static NTSTATUS KmdfDriverEntry(PDRIVER_OBJECT driverObject, PUNICODE_STRING registryPath)
{
    WDF_DRIVER_CONFIG config = {0};
    config.Size = sizeof(config);
    config.EvtDriverDeviceAdd = EvtDriverDeviceAdd;
    config.EvtDriverUnload = EvtDriverUnload;
    return WdfDriverCreate(driverObject, registryPath, NULL, &config, NULL);
}

/* The stub (FxDriverEntry's job): bind, run the driver's entry, and put the
 * framework's unload in front of our unbind. */
static HVCISIM_WDF_BIND_INFO BindInfo = {
    sizeof(HVCISIM_WDF_BIND_INFO), L"KmdfLibrary", {1, HVCISIM_KMDF_MINOR, 0},
    HVCISIM_KMDF_FUNCTION_COUNT, &WdfFunctions, NULL,
};
static UNICODE_STRING RegistryPathCopy;
static WCHAR RegistryPathBuffer[260];
static PDRIVER_UNLOAD FrameworkUnload;

static void StubUnload(PDRIVER_OBJECT driverObject)
{
    if (FrameworkUnload)
        FrameworkUnload(driverObject);
    WdfVersionUnbind(&RegistryPathCopy, &BindInfo, WdfDriverGlobals);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT driverObject, PUNICODE_STRING registryPath)
{
    RegistryPathCopy.Buffer = RegistryPathBuffer;
    RegistryPathCopy.MaximumLength = sizeof(RegistryPathBuffer);
    RtlCopyUnicodeString(&RegistryPathCopy, registryPath);
    NTSTATUS status = WdfVersionBind(driverObject, &RegistryPathCopy, &BindInfo, &WdfDriverGlobals);
    if (!NT_SUCCESS(status))
        return status;
    status = KmdfDriverEntry(driverObject, registryPath);
    if (!NT_SUCCESS(status)) {
        WdfVersionUnbind(&RegistryPathCopy, &BindInfo, WdfDriverGlobals);
        return status;
    }
    if (WdfDriverGlobals->DisplaceDriverUnload) {
        FrameworkUnload = driverObject->DriverUnload;
        driverObject->DriverUnload = StubUnload;
    }
    return STATUS_SUCCESS;
}
