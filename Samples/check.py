#!/usr/bin/env python3
"""Check the built samples against designed.json.

For every sample in designed.json this reads bin/<name>.sys (PE32+), prints
the properties that matter for HVCI (sections and their flags, alignment,
where data directory 12 (IAT) lies, NX_COMPAT, imports), derives the static
findings by the rules in designed.json's "about" text (DESIGN.md 2.2/2.3) and
compares them and the verdict with the designed ones.  Exit status 1 on any
difference.  Standard library only.
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

SCN_CODE, SCN_EXECUTE, SCN_READ, SCN_WRITE = 0x20, 0x20000000, 0x40000000, 0x80000000
SCN_DISCARDABLE = 0x02000000
NX_COMPAT = 0x0100

DDIS = """ExAllocatePool ExAllocatePoolWithQuota ExAllocatePoolWithQuotaTag
ExAllocatePoolWithTag ExAllocatePoolWithTagPriority ExAllocatePool2
ExAllocatePool3 ExInitializeNPagedLookasideList ExInitializeLookasideListEx
MmAllocateContiguousMemory MmAllocateContiguousMemorySpecifyCache
MmAllocateContiguousMemorySpecifyCacheNode MmAllocateContiguousNodeMemory
MmCopyMemory MmMapIoSpace MmMapIoSpaceEx MmMapLockedPages
MmMapLockedPagesSpecifyCache MmProtectMdlSystemAddress ZwAllocateVirtualMemory
ZwProtectVirtualMemory ZwCreateSection ZwMapViewOfSection NtCreateSection
NtMapViewOfSection NtAllocateVirtualMemory""".split()

ERRORS = ["0x2003", "0x2004", "0x2005"]


class PE:
    def __init__(self, path):
        d = self.data = open(path, "rb").read()
        if d[:2] != b"MZ":
            raise ValueError("no MZ header")
        pe = struct.unpack_from("<I", d, 0x3C)[0]
        if d[pe:pe + 4] != b"PE\0\0":
            raise ValueError("no PE signature")
        fh = pe + 4
        self.machine, nsec, _, _, _, optsize, self.characteristics = \
            struct.unpack_from("<HHIIIHH", d, fh)
        opt = fh + 20
        if struct.unpack_from("<H", d, opt)[0] != 0x20B:
            raise ValueError("not PE32+")
        self.entry = struct.unpack_from("<I", d, opt + 16)[0]
        self.image_base = struct.unpack_from("<Q", d, opt + 24)[0]
        self.section_alignment, self.file_alignment = struct.unpack_from("<II", d, opt + 32)
        self.subsystem, self.dll_characteristics = struct.unpack_from("<HH", d, opt + 68)
        ndirs = struct.unpack_from("<I", d, opt + 108)[0]
        self.dirs = [struct.unpack_from("<II", d, opt + 112 + 8 * i) for i in range(ndirs)]
        self.sections = []
        for i in range(nsec):
            name, vsize, va, rsize, rptr, _, _, _, _, ch = \
                struct.unpack_from("<8sIIIIIIHHI", d, opt + optsize + 40 * i)
            self.sections.append(dict(name=name.rstrip(b"\0").decode("latin-1"),
                                      vsize=vsize, va=va, rsize=rsize, rptr=rptr, ch=ch))

    def section_of(self, rva):
        for s in self.sections:
            if s["va"] <= rva < s["va"] + max(s["vsize"], s["rsize"]):
                return s
        return None

    def off(self, rva):
        s = self.section_of(rva)
        if s is None or rva - s["va"] >= s["rsize"]:
            raise ValueError("RVA 0x%x not in file" % rva)
        return s["rptr"] + rva - s["va"]

    def cstr(self, rva):
        o = self.off(rva)
        return self.data[o:self.data.index(b"\0", o)].decode("latin-1")

    def imports(self):
        rva, size = self.dirs[1] if len(self.dirs) > 1 else (0, 0)
        out = []
        while rva and size:
            ilt, _, _, name, iat = struct.unpack_from("<IIIII", self.data, self.off(rva))
            if not (ilt or name or iat):
                break
            dll, t = self.cstr(name), ilt or iat
            while True:
                entry = struct.unpack_from("<Q", self.data, self.off(t))[0]
                if entry == 0:
                    break
                out.append((dll, "#%d" % (entry & 0xFFFF) if entry >> 63 else self.cstr((entry & 0x7FFFFFFF) + 2)))
                t += 8
            rva += 20
        return out


def flags(ch):
    return ("R" if ch & SCN_READ else "-") + ("W" if ch & SCN_WRITE else "-") + \
           ("X" if ch & SCN_EXECUTE else "-") + ("D" if ch & SCN_DISCARDABLE else "")


def static_findings(pe):
    found = []
    for s in pe.sections:
        wx = s["ch"] & SCN_WRITE and s["ch"] & SCN_EXECUTE
        if wx and s["name"] != "INIT":
            found.append("0x2003")
        if wx and s["name"] == "INIT":
            found.append("INIT_SECTION_WX")
    if pe.section_alignment % 0x1000 or any(s["va"] % 0x1000 for s in pe.sections):
        found.append("0x2004")
    iat_rva, iat_size = pe.dirs[12] if len(pe.dirs) > 12 else (0, 0)
    if iat_rva and iat_size:
        s = pe.section_of(iat_rva)
        if s is not None and s["ch"] & SCN_EXECUTE:
            found.append("0x2005")
    if not pe.dll_characteristics & NX_COMPAT:
        found.append("NX_COMPAT_MISSING")
    for _, name in pe.imports():
        if name in DDIS:
            found.append("DDI_RUNTIME_CHECK:" + name)
    # unique, errors first, then notes in a fixed order
    order = lambda f: (ERRORS.index(f) if f in ERRORS else len(ERRORS), f)
    return sorted(set(found), key=order)


def verdict(findings):
    if any(f in ERRORS for f in findings):
        return "incompatible"
    return "compatible-with-notes" if findings else "compatible"


def describe(pe):
    iat_rva, iat_size = pe.dirs[12]
    s = pe.section_of(iat_rva) if iat_rva else None
    lines = ["  SectionAlignment 0x%x FileAlignment 0x%x  DllCharacteristics 0x%04x (NX_COMPAT %s)"
             "  Characteristics 0x%04x  entry RVA 0x%x"
             % (pe.section_alignment, pe.file_alignment, pe.dll_characteristics,
                "yes" if pe.dll_characteristics & NX_COMPAT else "NO", pe.characteristics, pe.entry)]
    lines.append("  sections: " + ", ".join("%s@0x%x %s (0x%08x)" % (x["name"], x["va"], flags(x["ch"]), x["ch"])
                                            for x in pe.sections))
    lines.append("  IAT (dir 12): RVA 0x%x size 0x%x in %s" % (
        iat_rva, iat_size, "%s (%s)" % (s["name"], flags(s["ch"])) if s else "-"))
    lines.append("  imports: " + ", ".join("%s!%s" % i for i in pe.imports()))
    return "\n".join(lines)


def main():
    designed = json.load(open(os.path.join(HERE, "designed.json")))
    failures = 0
    for sample in designed["samples"]:
        path = os.path.join(HERE, sample["file"])
        pe = PE(path)
        got = static_findings(pe)
        ok = sorted(got) == sorted(sample["staticFindings"]) and verdict(got) == sample["verdict"] \
            and verdict(sample["staticFindings"]) == sample["verdict"]
        failures += not ok
        print("%s %s: %s -> %s" % ("ok  " if ok else "FAIL", sample["name"], verdict(got), ", ".join(got) or "-"))
        print(describe(pe))
        if not ok:
            print("  designed: %s -> %s" % (sample["verdict"], ", ".join(sample["staticFindings"])))
    print("%d samples, %d differ from designed.json" % (len(designed["samples"]), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
