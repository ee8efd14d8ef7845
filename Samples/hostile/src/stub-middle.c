/* stub-middle - jumps 3 bytes into the code behind an imported kernel routine. */
#include "hostile.h"
typedef ULONG64 (*Routine)(void);
HOSTILE_ENTRY(
    Routine routine = (Routine)((UCHAR *)(ULONG_PTR)KeQueryPerformanceCounter + 3);
    return (NTSTATUS)routine();
)
