/*
 * bare.c - the baseline of the machine benchmark: Debian's libunicorn with no
 * hooks at all, running crc-loop.sys's exported CrcWork over a 16 MiB buffer,
 * exactly the code hvcisim runs inside DriverEntry. The image is mapped flat
 * (one RWX region), so this is as fast as Unicorn itself gets.
 *
 *   cc -O2 -o build/bare bare.c -lunicorn && build/bare crc-loop.sys
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#define BUFFER_BASE 0x200000000ULL
#define BUFFER_SIZE (16u << 20)
#define STACK_BASE 0x7FF00000ULL
#define STACK_SIZE 0x100000
#define RETURN_TRAP 0x1000ULL

static uint32_t u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t u64(const uint8_t *p) { return u32(p) | (uint64_t)u32(p + 4) << 32; }
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}
static void check(uc_err e, const char *what) {
    if (e != UC_ERR_OK) { fprintf(stderr, "bare: %s: %s\n", what, uc_strerror(e)); exit(2); }
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: bare crc-loop.sys\n"); return 2; }
    double start = now();
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    static uint8_t file[1 << 20];
    size_t n = fread(file, 1, sizeof file, f);
    fclose(f);
    if (n < 0x200) { fprintf(stderr, "bare: file too small\n"); return 2; }
    uint32_t pe = u32(file + 0x3C);
    uint16_t sections = file[pe + 6] | file[pe + 7] << 8;
    uint16_t optSize = file[pe + 20] | file[pe + 21] << 8;
    const uint8_t *opt = file + pe + 24;
    uint64_t base = u64(opt + 24);
    uint32_t sizeOfImage = u32(opt + 56), sizeOfHeaders = u32(opt + 60);
    uint32_t exportRVA = u32(opt + 112);
    uint8_t *image = calloc(1, sizeOfImage);
    memcpy(image, file, sizeOfHeaders);
    for (int i = 0; i < sections; i++) {
        const uint8_t *s = file + pe + 24 + optSize + 40 * i;
        uint32_t va = u32(s + 12), raw = u32(s + 16), ptr = u32(s + 20);
        if (raw && va + raw <= sizeOfImage && ptr + raw <= n) memcpy(image + va, file + ptr, raw);
    }
    /* Export directory: find CrcWork by name. */
    const uint8_t *ed = image + exportRVA;
    uint32_t names = u32(ed + 24), functions = u32(ed + 28), nameTable = u32(ed + 32), ordinals = u32(ed + 36);
    uint64_t entry = 0;
    for (uint32_t i = 0; i < names; i++) {
        if (strcmp((const char *)image + u32(image + nameTable + 4 * i), "CrcWork") == 0) {
            uint16_t ordinal = image[ordinals + 2 * i] | image[ordinals + 2 * i + 1] << 8;
            entry = base + u32(image + functions + 4 * ordinal);
        }
    }
    if (!entry) { fprintf(stderr, "bare: no CrcWork export\n"); return 2; }

    uc_engine *uc;
    check(uc_open(UC_ARCH_X86, UC_MODE_64, &uc), "open");
    size_t mapped = (sizeOfImage + 0xFFF) & ~0xFFFu;
    check(uc_mem_map(uc, base, mapped, UC_PROT_ALL), "map image");
    check(uc_mem_write(uc, base, image, sizeOfImage), "write image");
    check(uc_mem_map(uc, BUFFER_BASE, BUFFER_SIZE, UC_PROT_READ | UC_PROT_WRITE), "map buffer");
    check(uc_mem_map(uc, STACK_BASE, STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE), "map stack");
    uint64_t rsp = STACK_BASE + STACK_SIZE - 0x100 - 8, ret = RETURN_TRAP;
    check(uc_mem_write(uc, rsp, &ret, 8), "push");
    uint64_t rcx = BUFFER_BASE, rdx = BUFFER_SIZE;
    uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
    uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
    uc_reg_write(uc, UC_X86_REG_RDX, &rdx);
    double emulation = now();
    check(uc_emu_start(uc, entry, RETURN_TRAP, 0, 0), "emulate");
    double end = now();
    uint64_t rax;
    uc_reg_read(uc, UC_X86_REG_RAX, &rax);
    printf("crc 0x%08llx emulation %.3f s total %.3f s\n", (unsigned long long)(rax & 0xFFFFFFFF), end - emulation, end - start);
    uc_close(uc);
    return 0;
}
