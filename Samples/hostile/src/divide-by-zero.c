/* divide-by-zero - an integer division by zero (#DE). */
#include "hostile.h"
static __attribute__((noipa)) ULONG Divide(ULONG a, ULONG b) { return a / b; }
HOSTILE_ENTRY(return Divide(1, 0);)
