#!/usr/bin/env python3
"""The lesson `make demo` prints: for each rule Sample, what the driver tries
(Samples/designed.json), what happened in the emulator with HVCI off and on
(Driver Verifier's code-integrity option on), what changes with the verifier
off, and why -- from the JSON reports scripts/demo.sh wrote.

usage: lesson.py DESIGNED.json REPORTS_DIR SECONDS
REPORTS_DIR holds <name>.both.json (run --hvci both) and <name>.noverifier.json
(run --hvci on --verifier off) per Sample."""
import json, os, sys, textwrap

designed_path, reports, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
samples = json.load(open(designed_path))["samples"]
WIDTH = 100


def wrap(label, text):
    return textwrap.fill(text, WIDTH, initial_indent=f"  {label:<10}", subsequent_indent=" " * 12)


def happened(run):
    """One sentence: loaded or not, DriverEntry's outcome, the findings Windows would stop at."""
    if not run["loaded"]:
        return f"not loaded: {run['loadFailure']}."
    entry = next((e for e in run["entryPoints"] if e["name"] == "DriverEntry"), None)
    words = []
    placed = [("the loader", f) for f in run["loadFindings"]] + [(e["name"], f) for e in run["entryPoints"] for f in e["findings"]]
    codes = []
    for where, f in placed:
        if f["severity"] != "error" or f["code"] in codes:
            continue
        codes.append(f["code"])
        bug = f.get("bugCheck")
        stop = f"Windows stops with bug check {bug['code']} there" if bug else "Windows refuses it"
        words.append(f"{where}: {f['code']} {f['title']} — {stop}"
                     + (" (audit mode logged it and went on)" if run["mode"] == "audit" else ""))
    if entry:
        words.append(f"DriverEntry {entry['outcome']['summary']}")
    if not codes:
        words.append("nothing flagged")
    return "; ".join(words) + "."


def why(report):
    if report["verdict"] == "inconclusive":
        return f"inconclusive: {report.get('verdictReason')}"
    for f in report["findings"] + [f for r in report["runs"] for e in r["entryPoints"] for f in e["findings"]] \
            + [f for r in report["runs"] for f in r["loadFindings"]]:
        if f["severity"] == "error":
            return f"{f['title']}. Fix: {f['fix']}"
    return report.get("verdictReason") or "the driver keeps data non-executable and code read-only, so HVCI has nothing to stop."


print("=" * WIDTH)
print("What HVCI does to each rule Sample (hvcisim run, emulated x64, Driver Verifier's code-integrity option on)")
print("=" * WIDTH)
runs = 0
for sample in samples:
    name = sample["name"]
    both = os.path.join(reports, name + ".both.json")
    if not os.path.exists(both):
        continue
    report = json.load(open(both))
    on = next(r for r in report["runs"] if r["hvci"] == "on")
    off = next(r for r in report["runs"] if r["hvci"] == "off")
    runs += 2
    print(f"\n{name}.sys  — verdict: {report['verdict']}")
    print(wrap("tried", sample["rule"]))
    print(wrap("HVCI off", happened(off)))
    print(wrap("HVCI on", happened(on)))
    noverifier = os.path.join(reports, name + ".noverifier.json")
    if os.path.exists(noverifier):
        runs += 1
        alone = json.load(open(noverifier))["runs"][0]
        text = happened(alone)
        if text != happened(on):
            print(wrap("no DV", "HVCI on, Driver Verifier off: " + text))
    print(wrap("why", why(report)))
print(f"\n{runs} emulated runs of {len([s for s in samples if os.path.exists(os.path.join(reports, s['name'] + '.both.json'))])} "
      f"Samples in {seconds:.1f} s. `hvcisim explain CODE` teaches each code; docs/walkthrough.md goes through them.")
