/*
 * hostile.h - shared by the hostile samples (Samples/hostile): drivers that do
 * what no driver should, to show that every run still ends with a complete
 * report whose outcome names what happened (README.md in this folder).
 */
#ifndef HVCISIM_HOSTILE_H
#define HVCISIM_HOSTILE_H
#include "../../src/hvcisim-sample.h"

#define HOSTILE_ENTRY(...)                                                     \
    NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING Path)    \
    {                                                                          \
        UNREFERENCED_PARAMETER(DriverObject);                                  \
        UNREFERENCED_PARAMETER(Path);                                          \
        __VA_ARGS__                                                            \
    }
/* A device named `name` whose every IRP_MJ_* goes to `dispatch`: the samples that misbehave
 * in a request rather than in DriverEntry. */
static inline NTSTATUS CreateDeviceForAllRequests(PDRIVER_OBJECT driver, PCWSTR name, PDRIVER_DISPATCH dispatch)
{
    UNICODE_STRING unicodeName;
    PDEVICE_OBJECT device;
    RtlInitUnicodeString(&unicodeName, name);
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) driver->MajorFunction[i] = dispatch;
    return IoCreateDevice(driver, 0, &unicodeName, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
}
#endif
