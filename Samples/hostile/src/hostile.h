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
#endif
