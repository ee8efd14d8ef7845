#include <malloc.h>
#include <sys/prctl.h>
#include "CUnicornShim.h"

uc_err hvs_hook_add_code(uc_engine *uc, uc_hook *hh, int type, uc_cb_hookcode_t cb,
                         void *user_data, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, type, (void *)cb, user_data, begin, end);
}

uc_err hvs_hook_add_mem(uc_engine *uc, uc_hook *hh, int type, uc_cb_hookmem_t cb,
                        void *user_data, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, type, (void *)cb, user_data, begin, end);
}

uc_err hvs_hook_add_mem_event(uc_engine *uc, uc_hook *hh, int type, uc_cb_eventmem_t cb,
                              void *user_data, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, type, (void *)cb, user_data, begin, end);
}

uc_err hvs_hook_add_intr(uc_engine *uc, uc_hook *hh, uc_cb_hookintr_t cb, void *user_data) {
    return uc_hook_add(uc, hh, UC_HOOK_INTR, (void *)cb, user_data, 1, 0);
}

uc_err hvs_hook_add_insn_invalid(uc_engine *uc, uc_hook *hh, uc_cb_hookinsn_invalid_t cb,
                                 void *user_data) {
    return uc_hook_add(uc, hh, UC_HOOK_INSN_INVALID, (void *)cb, user_data, 1, 0);
}

uc_err hvs_hook_add_syscall(uc_engine *uc, uc_hook *hh, int insn, uc_cb_insn_syscall_t cb,
                            void *user_data) {
    return uc_hook_add(uc, hh, UC_HOOK_INSN, (void *)cb, user_data, 1, 0, insn);
}

uc_err hvs_hook_add_cpuid(uc_engine *uc, uc_hook *hh, uc_cb_insn_cpuid_t cb, void *user_data) {
    return uc_hook_add(uc, hh, UC_HOOK_INSN, (void *)cb, user_data, 1, 0, UC_X86_INS_CPUID);
}

uc_err hvs_hook_add_in(uc_engine *uc, uc_hook *hh, uc_cb_insn_in_t cb, void *user_data) {
    return uc_hook_add(uc, hh, UC_HOOK_INSN, (void *)cb, user_data, 1, 0, UC_X86_INS_IN);
}

uc_err hvs_hook_add_out(uc_engine *uc, uc_hook *hh, uc_cb_insn_out_t cb, void *user_data) {
    return uc_hook_add(uc, hh, UC_HOOK_INSN, (void *)cb, user_data, 1, 0, UC_X86_INS_OUT);
}

uc_err hvs_ctl_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end) {
    return uc_ctl_remove_cache(uc, begin, end);
}

uc_err hvs_ctl_flush_tb(uc_engine *uc) {
    return uc_ctl_flush_tlb(uc);
}

int hvs_disable_transparent_huge_pages(void) {
    return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
}

static void hvs_count_block(uc_engine *uc, uint64_t address, uint32_t size, void *user_data) {
    hvs_block_counter *counter = user_data;
    size_t slot = (size_t)((address ^ (address >> 12)) & (HVS_BLOCK_CACHE - 1));
    uint32_t n;
    if (counter->addresses[slot] == address && counter->sizes[slot] == size && counter->counts[slot] != 0) {
        n = counter->counts[slot];
    } else {
        n = counter->instructions(counter->context, address, size);
        if (n == 0) n = 1;
        counter->addresses[slot] = address;
        counter->sizes[slot] = size;
        counter->counts[slot] = n;
    }
    counter->count += n;
    if (counter->count > counter->budget && !counter->exceeded) {
        counter->exceeded = 1;
        uc_emu_stop(uc);
    }
}

uc_err hvs_hook_add_block_counter(uc_engine *uc, uc_hook *hh, hvs_block_counter *counter) {
    return uc_hook_add(uc, hh, UC_HOOK_BLOCK, (void *)hvs_count_block, counter, 1, 0);
}

int hvs_release_free_heap(void) {
    return malloc_trim(0);
}
