#!/usr/bin/env python3
"""hvcisim's static checks (`hvcisim check`), re-made with pefile.

The baseline for Benchmarks/check-vs-pefile.sh. Each file is read, hashed
(SHA-256) and parsed fully by pefile (fast_load=False: every data directory,
as hvcisim's PEFile parses imports, delay imports, exports, relocations, load
config, exception table, debug and version resource), then judged by the
rules of Sources/StaticChecks/CodeIntegrityChecks.swift (DESIGN.md §2.2):

  0x2003             a section both writable and executable (error), except
                     a section named INIT: INIT_SECTION_WX (note)
  0x2004             SectionAlignment % 0x1000 != 0, then each section whose
                     VirtualAddress % 0x1000 != 0 (error)
  0x2005             the IAT (data directory 12, when RVA and size are both
                     non-zero; otherwise the first thunk slot of each import
                     descriptor that has functions) in an executable section,
                     once per section (error)
  NX_COMPAT_MISSING  DllCharacteristics lacks 0x0100 (note)
  DDI_RUNTIME_CHECK  one note per imported (import + delay-import) function
                     named in Sources/StaticChecks/RuntimeCheckedDDIs.swift

Verdict: incompatible if any error, compatible if no finding at all,
otherwise compatible-with-notes.

Usage: pefile_check.py PATH... (files, or folders searched recursively for
.sys files, sorted, like `hvcisim check`). Writes one JSON object per file
per line to standard output:

  {"path": ..., "sha256": ..., "codes": [...], "findings": [[code, subject], ...],
   "verdict": ...}

where subject is the section name (0x2003, INIT_SECTION_WX, per-section 0x2004,
0x2005), the function name (DDI_RUNTIME_CHECK) or null. A file pefile cannot
parse gives {"path": ..., "error": ...}. Exit status: 0 all compatible,
1 some incompatible, 2 some file failed (the same as hvcisim).
"""

import hashlib
import json
import os
import re
import sys

import pefile

MEM_EXECUTE = 0x20000000
MEM_WRITE = 0x80000000
NX_COMPAT = 0x0100
IAT_DIRECTORY = 12
ERROR_CODES = {"0x2003", "0x2004", "0x2005"}

_HERE = os.path.dirname(os.path.abspath(__file__))
_DDI_SOURCE = os.path.join(_HERE, "..", "Sources", "StaticChecks", "RuntimeCheckedDDIs.swift")

# The list in Sources/StaticChecks/RuntimeCheckedDDIs.swift (as of this file).
# When that source is beside us, the names are read from it instead, so the
# two cannot drift apart.
_DDI_FALLBACK = [
    "ExAllocatePool", "ExAllocatePoolWithQuota", "ExAllocatePoolWithQuotaTag", "ExAllocatePoolWithTag",
    "ExAllocatePoolWithTagPriority", "ExInitializeNPagedLookasideList", "ExInitializeLookasideListEx",
    "MmAllocateContiguousMemory", "MmAllocateContiguousMemorySpecifyCache",
    "MmAllocateContiguousMemorySpecifyCacheNode", "MmAllocateContiguousNodeMemory", "MmCopyMemory",
    "MmMapIoSpace", "MmMapLockedPages", "MmMapLockedPagesSpecifyCache", "MmProtectMdlSystemAddress",
    "ZwAllocateVirtualMemory", "ZwCreateSection", "ZwMapViewOfSection", "NtCreateSection", "NtMapViewOfSection",
    "ExAllocatePool2", "ExAllocatePool3", "MmMapIoSpaceEx", "ZwProtectVirtualMemory", "NtAllocateVirtualMemory",
]


def runtime_checked_ddis():
    try:
        with open(_DDI_SOURCE, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return frozenset(_DDI_FALLBACK)
    names = re.findall(r'\("([A-Za-z0-9_]+)",\s*\.[a-zA-Z]+\)', text)
    return frozenset(names) if names else frozenset(_DDI_FALLBACK)


DDIS = runtime_checked_ddis()


def section_name(section):
    # hvcisim: the 8 bytes up to the first NUL, decoded as UTF-8.
    return section.Name.split(b"\0", 1)[0].decode("utf-8", "replace")


def mapped_size(section):
    # hvcisim's Section.mappedSize: VirtualSize, or SizeOfRawData when it is 0.
    return section.Misc_VirtualSize or section.SizeOfRawData


def section_containing(pe, rva):
    # hvcisim's PEFile.section(containing:): the first section whose
    # [VirtualAddress, VirtualAddress + mappedSize) holds rva. (pefile's own
    # get_section_by_rva rounds sizes up to alignment; the rule here is
    # hvcisim's, so that the two tools apply the same check.)
    for s in pe.sections:
        if s.VirtualAddress <= rva < s.VirtualAddress + mapped_size(s):
            return s
    return None


def check(pe):
    """Findings as [code, subject] pairs, in hvcisim's report order."""
    findings = []
    oh = pe.OPTIONAL_HEADER

    # 0x2003 / INIT_SECTION_WX
    for s in pe.sections:
        if s.Characteristics & MEM_WRITE and s.Characteristics & MEM_EXECUTE:
            name = section_name(s)
            findings.append(["INIT_SECTION_WX" if name == "INIT" else "0x2003", name])

    # 0x2004
    if oh.SectionAlignment % 0x1000:
        findings.append(["0x2004", None])
    for s in pe.sections:
        if s.VirtualAddress % 0x1000:
            findings.append(["0x2004", section_name(s)])

    # 0x2005
    dirs = oh.DATA_DIRECTORY
    iat = dirs[IAT_DIRECTORY] if len(dirs) > IAT_DIRECTORY else None
    if iat is not None and iat.VirtualAddress and iat.Size:
        slots = [iat.VirtualAddress]
    else:
        slots = [entry.struct.FirstThunk for entry in getattr(pe, "DIRECTORY_ENTRY_IMPORT", []) if entry.imports]
    reported = set()
    for rva in slots:
        s = section_containing(pe, rva)
        if s is None or not s.Characteristics & MEM_EXECUTE:
            continue
        name = section_name(s)
        if name in reported:
            continue
        reported.add(name)
        findings.append(["0x2005", name])

    # NX_COMPAT_MISSING
    if not oh.DllCharacteristics & NX_COMPAT:
        findings.append(["NX_COMPAT_MISSING", None])

    # DDI_RUNTIME_CHECK
    seen = set()
    modules = list(getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])) + list(getattr(pe, "DIRECTORY_ENTRY_DELAY_IMPORT", []))
    for module in modules:
        for imp in module.imports:
            if imp.name is None:
                continue
            name = imp.name.decode("utf-8", "replace")
            if name in DDIS and name not in seen:
                seen.add(name)
                findings.append(["DDI_RUNTIME_CHECK", name])
    return findings


def verdict(findings):
    if any(code in ERROR_CODES for code, _ in findings):
        return "incompatible"
    return "compatible-with-notes" if findings else "compatible"


def expand(paths):
    for path in paths:
        if not os.path.isdir(path):
            yield path
            continue
        base = path if path.endswith("/") else path + "/"
        found = []
        for root, _, names in os.walk(path):
            rel = os.path.relpath(root, path)
            for n in names:
                if n.lower().endswith(".sys"):
                    found.append(n if rel == "." else os.path.join(rel, n))
        for rel in sorted(found):
            yield base + rel


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    out = sys.stdout
    status = 0
    for path in expand(argv):
        try:
            with open(path, "rb") as f:
                data = f.read()
            digest = hashlib.sha256(data).hexdigest()
            pe = pefile.PE(data=data, fast_load=False)
            findings = check(pe)
            pe.close()
        except Exception as e:  # pefile.PEFormatError, OSError, or a pefile bug
            out.write(json.dumps({"path": path, "error": f"{type(e).__name__}: {e}"}) + "\n")
            status = 2
            continue
        v = verdict(findings)
        if v == "incompatible" and status == 0:
            status = 1
        out.write(json.dumps({"path": path, "sha256": digest, "codes": [c for c, _ in findings],
                              "findings": findings, "verdict": v}, separators=(",", ":")) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
