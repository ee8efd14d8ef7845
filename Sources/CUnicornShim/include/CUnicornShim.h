// Fixed-arity wrappers for Unicorn's variadic C functions (uc_hook_add, uc_ctl),
// which Swift cannot call directly. One wrapper per callback signature we use.
#ifndef HVCISIM_CUNICORNSHIM_H
#define HVCISIM_CUNICORNSHIM_H

#include <unicorn/unicorn.h>

/// UC_HOOK_CODE or UC_HOOK_BLOCK over [begin, end] (begin > end: everywhere).
uc_err hvs_hook_add_code(uc_engine *uc, uc_hook *hh, int type, uc_cb_hookcode_t cb,
                         void *user_data, uint64_t begin, uint64_t end);

/// Valid memory accesses: any of UC_HOOK_MEM_READ / _WRITE / _FETCH / _READ_AFTER.
uc_err hvs_hook_add_mem(uc_engine *uc, uc_hook *hh, int type, uc_cb_hookmem_t cb,
                        void *user_data, uint64_t begin, uint64_t end);

/// Invalid memory accesses: any of UC_HOOK_MEM_*_UNMAPPED / UC_HOOK_MEM_*_PROT.
uc_err hvs_hook_add_mem_event(uc_engine *uc, uc_hook *hh, int type, uc_cb_eventmem_t cb,
                              void *user_data, uint64_t begin, uint64_t end);

/// UC_HOOK_INTR (int n, int3, CPU exceptions).
uc_err hvs_hook_add_intr(uc_engine *uc, uc_hook *hh, uc_cb_hookintr_t cb, void *user_data);

/// UC_HOOK_INSN_INVALID.
uc_err hvs_hook_add_insn_invalid(uc_engine *uc, uc_hook *hh, uc_cb_hookinsn_invalid_t cb,
                                 void *user_data);

/// UC_HOOK_INSN for UC_X86_INS_SYSCALL / UC_X86_INS_SYSENTER.
uc_err hvs_hook_add_syscall(uc_engine *uc, uc_hook *hh, int insn, uc_cb_insn_syscall_t cb,
                            void *user_data);

/// UC_HOOK_INSN for UC_X86_INS_CPUID (callback returns 1 to skip Unicorn's own cpuid).
uc_err hvs_hook_add_cpuid(uc_engine *uc, uc_hook *hh, uc_cb_insn_cpuid_t cb, void *user_data);

/// UC_HOOK_INSN for UC_X86_INS_IN (the callback returns the value read) and UC_X86_INS_OUT.
uc_err hvs_hook_add_in(uc_engine *uc, uc_hook *hh, uc_cb_insn_in_t cb, void *user_data);
uc_err hvs_hook_add_out(uc_engine *uc, uc_hook *hh, uc_cb_insn_out_t cb, void *user_data);

/// uc_ctl_remove_cache: invalidate translated blocks covering [begin, end).
uc_err hvs_ctl_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end);

/// uc_ctl_flush_tlb (UC_CTL_TB_FLUSH): drop every translated block.
uc_err hvs_ctl_flush_tb(uc_engine *uc);

/// Slots of a block counter's cache of instructions per translated block.
#define HVS_BLOCK_CACHE 4096

/// Counts executed instructions from a UC_HOOK_BLOCK hook written in C: per
/// block, a direct-mapped cache lookup and an add; `instructions` (Swift, the
/// pure-Swift decoder) is asked only on a miss. Stops the engine once `count`
/// exceeds `budget`. A Swift block hook cost ~100 ns a block; this a few.
typedef struct hvs_block_counter {
    uint64_t count;
    uint64_t budget;
    int exceeded;
    uint32_t (*instructions)(void *context, uint64_t address, uint32_t size);
    void *context;
    uint64_t addresses[HVS_BLOCK_CACHE];
    uint32_t sizes[HVS_BLOCK_CACHE];
    uint32_t counts[HVS_BLOCK_CACHE];
} hvs_block_counter;

/// Adds the counting hook for every block; `counter` must outlive the hook.
uc_err hvs_hook_add_block_counter(uc_engine *uc, uc_hook *hh, hvs_block_counter *counter);

/// prctl(PR_SET_THP_DISABLE): Unicorn 2.0.1 reserves a 1 GiB translation
/// buffer and asks for transparent huge pages on it, so the first block it
/// translates makes 2 MiB resident. Called before uc_open, this keeps the
/// buffer at 4 KiB pages: memory grows with the code translated. 0 on success.
int hvs_disable_transparent_huge_pages(void);

/// malloc_trim(0) (glibc's malloc.h, which Swift's Glibc module does not
/// expose): gives freed heap pages back to the system, e.g. once an engine
/// and its memory model are gone. Returns 1 if memory was released.
int hvs_release_free_heap(void);


#endif
