/* null-dereference - reads through a NULL pointer. */
#include "hostile.h"
static __attribute__((noipa)) ULONG Read(volatile ULONG *p) { return *p; }
HOSTILE_ENTRY(return Read(NULL);)
