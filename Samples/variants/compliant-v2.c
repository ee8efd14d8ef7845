/*
 * compliant-v2 - compliant.c rebuilt with one more violation: an allocation
 * from NonPagedPool (executable), which Driver Verifier's code-integrity
 * option stops with bug check 0xC4, parameter 1 = 0x2000.  Everything else,
 * imports included, is compliant's, so a report diff between the two lists
 * exactly that one finding (Tests/CLITests/DiffTests.swift).
 */
#define HVCISIM_VARIANT_EXECUTABLE_POOL 1
#include "../src/compliant.c"
