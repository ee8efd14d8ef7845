/*
 * crc-loop.sys - a driver whose DriverEntry is one long compute loop, for the
 * machine benchmark: it allocates 16 MiB of NonPagedPoolNx, fills it with a
 * pattern and computes CRC-32 over it (several passes), all in CrcWork(),
 * which is exported so that a bare Unicorn harness can run the very same
 * code. No HVCI rule is broken: the point is how fast the emulator runs
 * ordinary driver code under the page-table model.
 */
#include <ntddk.h>

#define BUFFER_SIZE (16u << 20)
#define PASSES 4

__declspec(dllexport) __attribute__((noinline)) ULONG CrcWork(UCHAR *buffer, SIZE_T size)
{
    ULONG crc = 0xFFFFFFFFu;
    for (SIZE_T i = 0; i < size; i++)
        buffer[i] = (UCHAR)(i * 31u + (i >> 8));
    for (int pass = 0; pass < PASSES; pass++) {
        for (SIZE_T i = 0; i < size; i++) {
            crc ^= buffer[i];
            for (int bit = 0; bit < 8; bit++)
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UCHAR *buffer;
    ULONG crc;

    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, BUFFER_SIZE, 'crcH');
    if (buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    crc = CrcWork(buffer, BUFFER_SIZE);
    DbgPrint("crc-loop: CRC-32 0x%08lx\n", crc);
    ExFreePoolWithTag(buffer, 'crcH');
    return STATUS_SUCCESS;
}
