/*
 * kmdf-min.h - the smallest set of KMDF declarations the hvcisim KMDF sample
 * needs, written for this project from the documented KMDF ABI (x64): the
 * structure layouts and the function-table indices (WDFFUNCENUM order) are
 * those of KMDF 1.15+, where the loader points WdfFunctions at its table.
 * Every WDF call goes through that table with the driver globals first.
 * No WDK is needed: this header and wdfldr.def are all a sample uses.
 */
#ifndef HVCISIM_KMDF_MIN_H
#define HVCISIM_KMDF_MIN_H

#include <ntddk.h>

/* Opaque framework handles. */
typedef struct WDFOBJECT__ *WDFOBJECT;
typedef WDFOBJECT WDFDRIVER, WDFDEVICE, WDFQUEUE, WDFREQUEST, WDFFILEOBJECT,
    WDFMEMORY, WDFCMRESLIST;
typedef struct WDFDEVICE_INIT__ *PWDFDEVICE_INIT;

/* The version this sample is built for and the size of its table. */
#define HVCISIM_KMDF_MINOR 15
#define HVCISIM_KMDF_FUNCTION_COUNT 444

typedef void (*WDFFUNC)(void);

typedef struct {
    ULONG Major, Minor, Build;
} HVCISIM_WDF_VERSION;

/* What the stub hands WdfVersionBind. */
typedef struct {
    ULONG Size;
    PWCHAR Component;
    HVCISIM_WDF_VERSION Version;
    ULONG FuncCount;
    WDFFUNC **FuncTable; /* where WdfFunctions lives */
    PVOID Module;
} HVCISIM_WDF_BIND_INFO;

typedef struct {
    WDFDRIVER Driver;
    ULONG DriverFlags;
    ULONG DriverTag;
    CHAR DriverName[32];
    BOOLEAN DisplaceDriverUnload;
} HVCISIM_WDF_DRIVER_GLOBALS;

NTSTATUS NTAPI WdfVersionBind(PDRIVER_OBJECT, PUNICODE_STRING, HVCISIM_WDF_BIND_INFO *,
                              HVCISIM_WDF_DRIVER_GLOBALS **);
NTSTATUS NTAPI WdfVersionUnbind(PUNICODE_STRING, HVCISIM_WDF_BIND_INFO *, HVCISIM_WDF_DRIVER_GLOBALS *);

/* Object attributes and context types. */
typedef struct _HVCISIM_WDF_CONTEXT_TYPE {
    ULONG Size;
    const char *ContextName;
    SIZE_T ContextSize;
    const struct _HVCISIM_WDF_CONTEXT_TYPE *UniqueType;
    PVOID GetUniqueType;
} WDF_OBJECT_CONTEXT_TYPE_INFO;

typedef void (*PFN_WDF_OBJECT_CALLBACK)(WDFOBJECT);
typedef struct {
    ULONG Size;
    PFN_WDF_OBJECT_CALLBACK EvtCleanupCallback;
    PFN_WDF_OBJECT_CALLBACK EvtDestroyCallback;
    ULONG ExecutionLevel;        /* 1: inherit from parent */
    ULONG SynchronizationScope;  /* 1: inherit from parent */
    WDFOBJECT ParentObject;
    SIZE_T ContextSizeOverride;
    const WDF_OBJECT_CONTEXT_TYPE_INFO *ContextTypeInfo;
} WDF_OBJECT_ATTRIBUTES;

/* Driver. */
typedef NTSTATUS (*PFN_WDF_DRIVER_DEVICE_ADD)(WDFDRIVER, PWDFDEVICE_INIT);
typedef void (*PFN_WDF_DRIVER_UNLOAD)(WDFDRIVER);
typedef struct {
    ULONG Size;
    PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd;
    PFN_WDF_DRIVER_UNLOAD EvtDriverUnload;
    ULONG DriverInitFlags;
    ULONG DriverPoolTag;
} WDF_DRIVER_CONFIG;

/* PnP and power. */
typedef NTSTATUS (*PFN_WDF_DEVICE_POWER)(WDFDEVICE, ULONG);
typedef NTSTATUS (*PFN_WDF_DEVICE_PREPARE_HARDWARE)(WDFDEVICE, WDFCMRESLIST, WDFCMRESLIST);
typedef NTSTATUS (*PFN_WDF_DEVICE_RELEASE_HARDWARE)(WDFDEVICE, WDFCMRESLIST);
typedef struct {
    ULONG Size;
    PFN_WDF_DEVICE_POWER EvtDeviceD0Entry;
    PVOID EvtDeviceD0EntryPostInterruptsEnabled;
    PFN_WDF_DEVICE_POWER EvtDeviceD0Exit;
    PVOID EvtDeviceD0ExitPreInterruptsDisabled;
    PFN_WDF_DEVICE_PREPARE_HARDWARE EvtDevicePrepareHardware;
    PFN_WDF_DEVICE_RELEASE_HARDWARE EvtDeviceReleaseHardware;
    PVOID Rest[11]; /* self-managed I/O, surprise removal, query, usage */
} WDF_PNPPOWER_EVENT_CALLBACKS;

/* File objects. */
typedef void (*PFN_WDF_DEVICE_FILE_CREATE)(WDFDEVICE, WDFREQUEST, WDFFILEOBJECT);
typedef void (*PFN_WDF_FILE_EVENT)(WDFFILEOBJECT);
typedef struct {
    ULONG Size;
    PFN_WDF_DEVICE_FILE_CREATE EvtDeviceFileCreate;
    PFN_WDF_FILE_EVENT EvtFileClose;
    PFN_WDF_FILE_EVENT EvtFileCleanup;
    ULONG AutoForwardCleanupClose; /* WDF_TRI_STATE, 2: use default */
    ULONG FileObjectClass;         /* 0: default */
} WDF_FILEOBJECT_CONFIG;

/* Queues. */
typedef void (*PFN_WDF_IO_QUEUE_IO_READ_WRITE)(WDFQUEUE, WDFREQUEST, SIZE_T);
typedef void (*PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL)(WDFQUEUE, WDFREQUEST, SIZE_T, SIZE_T, ULONG);
typedef struct {
    ULONG Size;
    ULONG DispatchType; /* 1 sequential, 2 parallel, 3 manual */
    ULONG PowerManaged; /* WDF_TRI_STATE */
    BOOLEAN AllowZeroLengthRequests;
    BOOLEAN DefaultQueue;
    PVOID EvtIoDefault;
    PFN_WDF_IO_QUEUE_IO_READ_WRITE EvtIoRead;
    PFN_WDF_IO_QUEUE_IO_READ_WRITE EvtIoWrite;
    PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL EvtIoDeviceControl;
    PVOID EvtIoInternalDeviceControl, EvtIoStop, EvtIoResume, EvtIoCanceledOnQueue;
    ULONG NumberOfPresentedRequests;
    WDFDRIVER Driver;
} WDF_IO_QUEUE_CONFIG;

/* The table and the globals the stub fills (defined in the sample). */
extern WDFFUNC *WdfFunctions;
extern HVCISIM_WDF_DRIVER_GLOBALS *WdfDriverGlobals;

/* WDFFUNCENUM indices of the functions the sample calls. */
enum {
    WdfDeviceInitSetPnpPowerEventCallbacksIndex = 55,
    WdfDeviceInitAssignNameIndex = 67,
    WdfDeviceInitSetFileObjectConfigIndex = 71,
    WdfDeviceCreateIndex = 75,
    WdfDeviceCreateSymbolicLinkIndex = 80,
    WdfDriverCreateIndex = 116,
    WdfIoQueueCreateIndex = 152,
    WdfIoQueueGetDeviceIndex = 157,
    WdfMemoryCreateIndex = 192,
    WdfObjectGetTypedContextWorkerIndex = 202,
    WdfRequestCompleteIndex = 263,
    WdfRequestCompleteWithInformationIndex = 265,
    WdfRequestRetrieveInputBufferIndex = 269,
    WdfRequestRetrieveOutputBufferIndex = 270,
};

#define HVCISIM_WDF(index, type) ((type)WdfFunctions[index])

static inline NTSTATUS WdfDriverCreate(PDRIVER_OBJECT o, PUNICODE_STRING r, WDF_OBJECT_ATTRIBUTES *a,
                                       WDF_DRIVER_CONFIG *c, WDFDRIVER *d) {
    return HVCISIM_WDF(WdfDriverCreateIndex, NTSTATUS (*)(void *, PDRIVER_OBJECT, PUNICODE_STRING,
        WDF_OBJECT_ATTRIBUTES *, WDF_DRIVER_CONFIG *, WDFDRIVER *))(WdfDriverGlobals, o, r, a, c, d);
}
static inline NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT i, PCUNICODE_STRING n) {
    return HVCISIM_WDF(WdfDeviceInitAssignNameIndex, NTSTATUS (*)(void *, PWDFDEVICE_INIT, PCUNICODE_STRING))(
        WdfDriverGlobals, i, n);
}
static inline void WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT i, WDF_PNPPOWER_EVENT_CALLBACKS *c) {
    HVCISIM_WDF(WdfDeviceInitSetPnpPowerEventCallbacksIndex, void (*)(void *, PWDFDEVICE_INIT,
        WDF_PNPPOWER_EVENT_CALLBACKS *))(WdfDriverGlobals, i, c);
}
static inline void WdfDeviceInitSetFileObjectConfig(PWDFDEVICE_INIT i, WDF_FILEOBJECT_CONFIG *c,
                                                    WDF_OBJECT_ATTRIBUTES *a) {
    HVCISIM_WDF(WdfDeviceInitSetFileObjectConfigIndex, void (*)(void *, PWDFDEVICE_INIT, WDF_FILEOBJECT_CONFIG *,
        WDF_OBJECT_ATTRIBUTES *))(WdfDriverGlobals, i, c, a);
}
static inline NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *i, WDF_OBJECT_ATTRIBUTES *a, WDFDEVICE *d) {
    return HVCISIM_WDF(WdfDeviceCreateIndex, NTSTATUS (*)(void *, PWDFDEVICE_INIT *, WDF_OBJECT_ATTRIBUTES *,
        WDFDEVICE *))(WdfDriverGlobals, i, a, d);
}
static inline NTSTATUS WdfDeviceCreateSymbolicLink(WDFDEVICE d, PCUNICODE_STRING n) {
    return HVCISIM_WDF(WdfDeviceCreateSymbolicLinkIndex, NTSTATUS (*)(void *, WDFDEVICE, PCUNICODE_STRING))(
        WdfDriverGlobals, d, n);
}
static inline NTSTATUS WdfIoQueueCreate(WDFDEVICE d, WDF_IO_QUEUE_CONFIG *c, WDF_OBJECT_ATTRIBUTES *a, WDFQUEUE *q) {
    return HVCISIM_WDF(WdfIoQueueCreateIndex, NTSTATUS (*)(void *, WDFDEVICE, WDF_IO_QUEUE_CONFIG *,
        WDF_OBJECT_ATTRIBUTES *, WDFQUEUE *))(WdfDriverGlobals, d, c, a, q);
}
static inline WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE q) {
    return HVCISIM_WDF(WdfIoQueueGetDeviceIndex, WDFDEVICE (*)(void *, WDFQUEUE))(WdfDriverGlobals, q);
}
static inline NTSTATUS WdfMemoryCreate(WDF_OBJECT_ATTRIBUTES *a, POOL_TYPE t, ULONG tag, SIZE_T size,
                                       WDFMEMORY *m, PVOID *b) {
    return HVCISIM_WDF(WdfMemoryCreateIndex, NTSTATUS (*)(void *, WDF_OBJECT_ATTRIBUTES *, POOL_TYPE, ULONG,
        SIZE_T, WDFMEMORY *, PVOID *))(WdfDriverGlobals, a, t, tag, size, m, b);
}
static inline PVOID WdfObjectGetTypedContextWorker(WDFOBJECT o, const WDF_OBJECT_CONTEXT_TYPE_INFO *t) {
    return HVCISIM_WDF(WdfObjectGetTypedContextWorkerIndex, PVOID (*)(void *, WDFOBJECT,
        const WDF_OBJECT_CONTEXT_TYPE_INFO *))(WdfDriverGlobals, o, t);
}
static inline void WdfRequestComplete(WDFREQUEST r, NTSTATUS s) {
    HVCISIM_WDF(WdfRequestCompleteIndex, void (*)(void *, WDFREQUEST, NTSTATUS))(WdfDriverGlobals, r, s);
}
static inline void WdfRequestCompleteWithInformation(WDFREQUEST r, NTSTATUS s, ULONG_PTR info) {
    HVCISIM_WDF(WdfRequestCompleteWithInformationIndex, void (*)(void *, WDFREQUEST, NTSTATUS, ULONG_PTR))(
        WdfDriverGlobals, r, s, info);
}
static inline NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST r, SIZE_T min, PVOID *b, SIZE_T *l) {
    return HVCISIM_WDF(WdfRequestRetrieveInputBufferIndex, NTSTATUS (*)(void *, WDFREQUEST, SIZE_T, PVOID *,
        SIZE_T *))(WdfDriverGlobals, r, min, b, l);
}
static inline NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST r, SIZE_T min, PVOID *b, SIZE_T *l) {
    return HVCISIM_WDF(WdfRequestRetrieveOutputBufferIndex, NTSTATUS (*)(void *, WDFREQUEST, SIZE_T, PVOID *,
        SIZE_T *))(WdfDriverGlobals, r, min, b, l);
}

#endif /* HVCISIM_KMDF_MIN_H */
