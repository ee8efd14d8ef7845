/* unterminated-string - RtlInitUnicodeString on a pool block with no terminating NUL. */
#include "hostile.h"
HOSTILE_ENTRY(
    UNICODE_STRING string;
    WCHAR *buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x1000, SAMPLE_TAG);
    if (!buffer) return STATUS_INSUFFICIENT_RESOURCES;
    for (ULONG i = 0; i < 0x1000 / sizeof(WCHAR); i++) buffer[i] = L'A';
    RtlInitUnicodeString(&string, buffer);
    return string.Length ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
)
