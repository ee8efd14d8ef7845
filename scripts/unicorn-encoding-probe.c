// unicorn-encoding-probe.c - finds the x86-64 encodings that make Unicorn (QEMU's TCG) kill the
// process while translating them (docs/cpu-behaviour.md, "Encodings QEMU cannot translate").
//
// Enumerates prefix x map (one-byte, 0F) x opcode x ModRM, each followed by 12 zero bytes, and
// runs one instruction of each. A child process runs the cases in order and publishes its index
// in shared memory, so when QEMU aborts the parent prints the culprit and restarts after it.
//
//   gcc -O1 -o /tmp/probe scripts/unicorn-encoding-probe.c -lunicorn && /tmp/probe
//
// Prints "case N sig S: BYTES" per dying encoding (SIGSEGV rows come from Unicorn's own
// instruction count, which hvcisim does not use). About 10 minutes on one core.
#include <unicorn/unicorn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
static const char *prefixes[] = {"", "\x66", "\x48", "\xF3", "\xF2", "\xF0", "\x66\xF0", "\xF0\x48"};
#define NP 8
#define NMAP 2
static long total = (long)NP * NMAP * 256 * 256;
static void make(long i, uint8_t *code, int *len) {
    int modrm = i % 256, op = (i / 256) % 256, map = (i / 65536) % NMAP, p = i / (65536 * NMAP);
    int n = 0; const char *pf = prefixes[p]; while (*pf) code[n++] = (uint8_t)*pf++;
    if (map >= 1) code[n++] = 0x0F;
    if (map == 2) code[n++] = 0x38;
    if (map == 3) code[n++] = 0x3A;
    code[n++] = op; code[n++] = modrm;
    memset(code + n, 0, 12); n += 12; *len = n;
}
static void intr(uc_engine *uc, uint32_t n, void *u) { uc_emu_stop(uc); }
int main(int argc, char **argv) {
    volatile long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    long start = 0;
    for (;;) {
        shared[0] = start;
        pid_t pid = fork();
        if (pid == 0) {
            uc_engine *uc; uc_hook h;
            uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
            uc_mem_map(uc, 0x10000, 0x1000, UC_PROT_ALL);
            uc_mem_map(uc, 0x100000, 0x200000, UC_PROT_READ | UC_PROT_WRITE);
            uc_hook_add(uc, &h, UC_HOOK_INTR, intr, NULL, 1, 0);
            int regs[] = {UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI, UC_X86_REG_RDI,
                          UC_X86_REG_RBP, UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12,
                          UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};
            for (long i = start; i < total; i++) {
                shared[0] = i; 
                uint8_t code[32]; int len; make(i, code, &len);
                uc_mem_write(uc, 0x10000, code, len);
                uc_ctl_remove_cache(uc, 0x10000, 0x11000);
                uint64_t v = 0x180000, rsp = 0x200000, fl = 0x202;
                for (int r = 0; r < 15; r++) uc_reg_write(uc, regs[r], &v);
                uc_reg_write(uc, UC_X86_REG_RSP, &rsp); uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl);
                uc_emu_start(uc, 0x10000, 0, 0, 1);
            }
            _exit(0);
        }
        int status; waitpid(pid, &status, 0);
        long at = shared[0];
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
        uint8_t code[32]; int len; make(at, code, &len);
        printf("case %ld sig %d:", at, WIFSIGNALED(status) ? WTERMSIG(status) : -1);
        for (int k = 0; k < len - 12; k++) printf(" %02X", code[k]);
        printf("\n"); fflush(stdout);
        start = at + 1;
    }
    return 0;
}
