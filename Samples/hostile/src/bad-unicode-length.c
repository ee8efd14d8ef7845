/* bad-unicode-length - a UNICODE_STRING whose Length exceeds its MaximumLength, copied. */
#include "hostile.h"
HOSTILE_ENTRY(
    WCHAR source[4] = L"abc", target[4];
    UNICODE_STRING from = { 0xFFF0, 8, source }, to = { 0, sizeof target, target };
    RtlCopyUnicodeString(&to, &from);
    return to.Length <= to.MaximumLength ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
)
