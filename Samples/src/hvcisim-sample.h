/*
 * hvcisim-sample.h - shared by every hvcisim sample driver.
 *
 * mingw-w64's DDK headers predate Windows 8/10, so the few newer definitions
 * the samples need are declared here, together with the return-value
 * convention of the samples that try a forbidden action (12-16).
 */
#ifndef HVCISIM_SAMPLE_H
#define HVCISIM_SAMPLE_H

#include <ntifs.h> /* ntddk.h + wdm.h + ZwAllocateVirtualMemory & co. */

#define SAMPLE_TAG 'icvH' /* pool tag, reads "Hvci" in memory */

/* MM_PAGE_PRIORITY flag (Windows 8+): map the MDL no-execute. */
#ifndef MdlMappingNoExecute
#define MdlMappingNoExecute 0x40000000
#endif

/* ExInitializeNPagedLookasideList Flags bit (Windows 8+): NX entries. */
#ifndef POOL_NX_ALLOCATION
#define POOL_NX_ALLOCATION 512
#endif

/* ExAllocatePool2 (Windows 10 2004+). */
typedef ULONG64 POOL_FLAGS;
#define POOL_FLAG_NON_PAGED         0x0000000000000040ULL /* NX */
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
NTSYSAPI PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes,
                                     ULONG Tag);

/* ZwQuerySystemInformation(SystemCodeIntegrityInformation). */
#define SystemCodeIntegrityInformation 103
typedef struct _SYSTEM_CODEINTEGRITY_INFORMATION {
    ULONG Length;
    ULONG CodeIntegrityOptions;
} SYSTEM_CODEINTEGRITY_INFORMATION;
#define CODEINTEGRITY_OPTION_HVCI_KMCI_ENABLED 0x400
NTSYSAPI NTSTATUS NTAPI ZwQuerySystemInformation(ULONG SystemInformationClass,
                                                 PVOID SystemInformation,
                                                 ULONG SystemInformationLength,
                                                 PULONG ReturnLength);

/* CR0.WP and the two moves that read and write CR0 (cr0-wp-patch,
 * kernel-memcpy-patch). */
#define CR0_WP (1ULL << 16)

static inline ULONG64 ReadCr0(void)
{
    ULONG64 value;
    __asm__ volatile("mov %%cr0, %0" : "=r"(value));
    return value;
}

static inline void WriteCr0(ULONG64 value)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(value) : "memory");
}

/*
 * Return values of the samples that try something HVCI forbids (12-16).
 * On real Windows the forbidden step bug-checks, so DriverEntry only returns
 * when the step was allowed (HVCI off, where the sample says so) or when a
 * tool lets execution go on after logging it (hvcisim audit mode).
 */
#define SAMPLE_TOOK_EFFECT     STATUS_SUCCESS                /* 0x00000000 */
#define SAMPLE_NO_EFFECT       STATUS_UNSUCCESSFUL           /* 0xC0000001 */
#define SAMPLE_NO_MEMORY       STATUS_INSUFFICIENT_RESOURCES /* 0xC000009A */
#define SAMPLE_UNEXPECTED_CODE STATUS_NOT_SUPPORTED          /* 0xC00000BB */

#endif /* HVCISIM_SAMPLE_H */
