#!/usr/bin/env python3
"""Generate docs/configurations.md from real runs of hvcisim on every Sample.

For each Sample in Samples/designed.json, runs `hvcisim run --format json` under
Driver Verifier's code-integrity option on/off x memory integrity (HVCI) on/off x
audit/enforce, and tabulates what happened: whether the image loaded, the findings
(run time), where the run stopped, DriverEntry's result, the verdict and exit status.
Each Sample's table names the Microsoft pages that say what Windows does.

  scripts/configurations.py [--hvcisim PATH]          write docs/configurations.md
  scripts/configurations.py [--hvcisim PATH] --check  exit 1 (with a diff) if the file is stale
"""
import argparse
import difflib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "configurations.md")

# Microsoft's pages, cited by key in the tables below.
SOURCES = {
    "dv-ci": ("Code integrity checking (Driver Verifier option 0x02000000; codes 0x2000-0x2005 and their parameters)",
              "https://learn.microsoft.com/en-us/windows-hardware/drivers/devtest/code-integrity-checking"),
    "hlk": ("Driver compatibility with memory integrity and VBS (the verification steps: Driver Verifier's code-integrity "
            "checks, then a system with memory integrity on)",
            "https://learn.microsoft.com/en-us/windows-hardware/test/hlk/testref/driver-compatibility-with-device-guard"),
    "implement": ("Implement memory integrity compatible code (NX pool, no W+X sections, no modification of executable "
                  "memory, section alignment 0x1000, the DDIs affected)",
                  "https://learn.microsoft.com/en-us/windows-hardware/drivers/driversecurity/implement-hvci-compatible-code"),
    "vbs": ("Enable virtualization-based protection of code integrity (kernel pages executable only after code integrity "
            "checks; executable pages never writable)",
            "https://learn.microsoft.com/en-us/windows/security/hardware-security/enable-virtualization-based-protection-of-code-integrity"),
    "nx-pool": ("No-Execute (NX) Nonpaged Pool (NonPagedPool is executable, NonPagedPoolNx is not)",
                "https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/no-execute-nonpaged-pool"),
    "0xc4": ("Bug Check 0xC4: DRIVER_VERIFIER_DETECTED_VIOLATION",
             "https://learn.microsoft.com/en-us/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation"),
    "0xbe": ("Bug Check 0xBE: ATTEMPTED_WRITE_TO_READONLY_MEMORY",
             "https://learn.microsoft.com/en-us/windows-hardware/drivers/debugger/bug-check-0xbe--attempted-write-to-readonly-memory"),
    "0xfc": ("Bug Check 0xFC: ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY",
             "https://learn.microsoft.com/en-us/windows-hardware/drivers/debugger/bug-check-0xfc--attempted-execute-of-noexecute-memory"),
    "ci-info": ("SYSTEM_CODEINTEGRITY_INFORMATION / CODEINTEGRITY_OPTION_* (winternl.h constants as published in "
                "Microsoft's Win32 metadata: HVCI_KMCI_ENABLED 0x400, HVCI_IUM_ENABLED 0x2000)",
                "https://learn.microsoft.com/en-us/windows/win32/api/winternl/nf-winternl-ntquerysysteminformation"),
    "seh": ("Handling exceptions (structured exception handling in drivers; __try/__finally)",
            "https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/handling-exceptions"),
    "kmdf": ("WdfMemoryCreate (PoolType: NonPagedPoolNx for data that is never executed)",
             "https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdfmemory/nf-wdfmemory-wdfmemorycreate"),
}

# Which pages say what Windows does with each Sample's rule.
SAMPLE_SOURCES = {
    "compliant": ["implement", "hlk"],
    "rwx-section": ["dv-ci", "implement", "0xc4"],
    "misaligned-sections": ["dv-ci", "implement", "0xc4"],
    "iat-in-exec-section": ["dv-ci", "0xc4"],
    "init-rwx": ["implement", "dv-ci"],
    "nonpaged-pool": ["dv-ci", "nx-pool", "hlk"],
    "pool2-execute": ["dv-ci", "hlk"],
    "lookaside-exec": ["dv-ci", "implement"],
    "mdl-exec-mapping": ["dv-ci", "implement"],
    "zwalloc-rwx": ["dv-ci", "implement"],
    "mdl-protect-exec": ["dv-ci", "implement"],
    "code-write": ["vbs", "0xbe"],
    "pool-exec": ["vbs", "nx-pool", "0xfc"],
    "cr0-wp-patch": ["vbs", "implement", "0xbe"],
    "mdl-alias-patch": ["vbs", "implement", "0xbe"],
    "pte-nx-clear": ["vbs", "0xfc"],
    "hvci-aware": ["ci-info", "dv-ci"],
    "seh-probe": ["seh"],
    "kmdf-sample": ["dv-ci", "kmdf"],
    "seh-finally": ["seh"],
    "kernel-memcpy-patch": ["vbs", "implement", "0xbe"],
    "mdl-alias-rtlcopy": ["vbs", "implement", "0xbe"],
}

CONFIGS = [(v, h, m) for v in ("on", "off") for h in ("on", "off") for m in ("audit", "enforce")]


def run(hvcisim, sample, verifier, hvci, mode):
    args = [hvcisim, "run", os.path.join("Samples", sample["file"]), "--verifier", verifier, "--hvci", hvci,
            "--mode", mode, "--format", "json"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode == 2 or not done.stdout:
        sys.exit(f"configurations.py: {' '.join(args)} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.returncode, json.loads(done.stdout)


def codes(findings):
    seen = []
    for f in findings:
        bc = f.get("bugCheck")
        text = f["code"] if not bc or f["code"].startswith("0x") else f"{f['code']} ({bc['code']})"
        if f["severity"] != "note" and text not in seen:
            seen.append(text)
    return seen


def row(code, report, verifier, hvci, mode):
    r = report["runs"][0]
    entries = r["entryPoints"]
    loads = "yes" if r["loaded"] else "**no** (" + (r.get("loadFailureKind") or "?") + ")"
    found = codes(r.get("loadFindings", []) + [f for e in entries for f in e["findings"]])
    stops = [f"{e['name']}: {e['outcome']['bugCheck']['code']}" for e in entries if e["outcome"]["kind"] == "bug-check"]
    if r.get("loadFailureKind") == "driver-verifier":
        stops.append("load: 0xc4")
    de = next((e for e in entries if e["name"] == "DriverEntry"), None)
    de_text = "not run" if de is None else (de["outcome"].get("statusName") or (
        "bug check " + de["outcome"]["bugCheck"]["code"] if "bugCheck" in de["outcome"] else de["outcome"]["kind"]))
    return (f"| {verifier} | {hvci} | {mode} | {loads} | {', '.join(found) or '—'} | {'; '.join(stops) or '—'} "
            f"| {de_text} | {report['verdict']} ({code}) |")


def render(hvcisim):
    designed = json.load(open(os.path.join(ROOT, "Samples", "designed.json")))
    lines = [
        "# What each Sample does in each configuration",
        "",
        "Generated by `scripts/configurations.py` from real runs of `hvcisim run` (do not edit by hand;",
        "`swift test` fails when this file no longer matches what the tool does). Two switches, as on a",
        "real machine: **verifier** is Driver Verifier's code-integrity option (`verifier /flags 0x02000000`),",
        "**HVCI** is memory integrity; **mode** is hvcisim's own: `audit` logs a violation, denies it and goes",
        "on (to find them all), `enforce` stops where Windows stops.",
        "",
        "Columns: *loads* — whether the loader (Code Integrity) accepts the image; *findings* — run-time",
        "findings (warnings and errors), with the bug check of hardware-level ones; *stop* — entry points",
        "that ended in a bug check; *DriverEntry* — its NTSTATUS or how it ended; *verdict* — with the exit",
        "status (0 compatible, 1 incompatible, 3 inconclusive; docs/verdicts.md). Static findings (the same",
        "in every configuration) are listed under each heading.",
        "",
        "What Windows does, per Microsoft (the rows follow it; where a page is silent the heading says so):",
        "",
    ]
    for key, (title, url) in SOURCES.items():
        lines.append(f"- [{key}] {title} — {url}")
    lines.append("")
    for sample in designed["samples"]:
        name = sample["name"]
        results = [(config, run(hvcisim, sample, *config)) for config in CONFIGS]
        statics = [f["code"] + ("" if f["code"] != "DDI_RUNTIME_CHECK" else ":" + f["title"].split()[1].rstrip(";"))
                   for f in results[0][1][1]["findings"]]
        lines += [f"## {name}", "", sample.get("rule", "").strip(), "",
                  "Static findings: " + (", ".join(f"`{s}`" for s in statics) or "none") + ".  ",
                  "Sources: " + ", ".join(f"[{k}]" for k in SAMPLE_SOURCES.get(name, [])) + ".", "",
                  "| verifier | HVCI | mode | loads | findings | stop | DriverEntry | verdict (exit) |",
                  "|---|---|---|---|---|---|---|---|"]
        for (verifier, hvci, mode), (code, report) in results:
            lines.append(row(code, report, verifier, hvci, mode))
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hvcisim", default=os.environ.get("HVCISIM", os.path.join(ROOT, ".build", "debug", "hvcisim")))
    parser.add_argument("--check", action="store_true", help="compare with docs/configurations.md instead of writing it")
    args = parser.parse_args()
    text = render(os.path.abspath(args.hvcisim))
    if args.check:
        current = open(OUT).read() if os.path.exists(OUT) else ""
        if current != text:
            diff = difflib.unified_diff(current.splitlines(), text.splitlines(), "docs/configurations.md", "generated", lineterm="")
            print("\n".join(list(diff)[:80]))
            print("docs/configurations.md is stale: run scripts/configurations.py")
            return 1
        print("docs/configurations.md matches the tool")
        return 0
    with open(OUT, "w") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
