#!/usr/bin/env bash
# usage: Corpus/measure.sh DIR [RESULTS.json]
# Runs `hvcisim run --hvci on --format json` on every .sys in DIR (one at a time,
# TIMEOUT seconds each) and prints: files, tool errors (exit 2, killed by a
# signal, or over the timeout), DriverEntry returned (count and %), the outcome
# kinds of DriverEntry, and the unmodeled functions hit by most drivers (top 30).
# The same figures, with one record per file, go to RESULTS.json
# (default: .corpus/results/hvcisim-<DIR name>.json).
# Environment: HVCISIM (binary; default .build-corpus/release/hvcisim),
# TIMEOUT (default 120), JOBS (files run at once; default 1), EXTRA_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dir=${1:?usage: measure.sh DIR [RESULTS.json]}
dir=$(cd "$dir" && pwd)
out=${2:-$root/.corpus/results/hvcisim-$(basename "$dir").json}
HVCISIM=${HVCISIM:-$root/.build-corpus/release/hvcisim}
TIMEOUT=${TIMEOUT:-120}
JOBS=${JOBS:-1}
[ -x "$HVCISIM" ] || { echo "no hvcisim binary at $HVCISIM (build: swift build -c release --product hvcisim --scratch-path .build-corpus)" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

run_one() { # file -> $work/<n>.json + $work/<n>.meta (rc seconds)
  local f=$1 n; n=$(basename "$f")
  local s e rc=0
  s=$EPOCHREALTIME
  timeout -k 5 "$TIMEOUT" "$HVCISIM" run --hvci on --format json ${EXTRA_ARGS:-} -o "$work/$n.json" "$f" \
    > "$work/$n.stdout" 2> "$work/$n.stderr" || rc=$?
  e=$EPOCHREALTIME
  printf '%s %s\n' "$rc" "$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f", b-a}')" > "$work/$n.meta"
}
export -f run_one; export HVCISIM TIMEOUT work EXTRA_ARGS

find "$dir" -maxdepth 1 -type f -iname '*.sys' -print0 | sort -z > "$work/files"
xargs -0 -r -n 1 -P "$JOBS" bash -c 'run_one "$0"' < "$work/files"

python3 - "$dir" "$work" "$out" "$HVCISIM" "$TIMEOUT" <<'PY'
import json, os, sys, collections, subprocess, datetime
d, work, out, tool, timeout = sys.argv[1:]
files = [os.path.basename(f) for f in open(os.path.join(work, "files")).read().split("\0") if f]
records, kinds, all_kinds = [], collections.Counter(), collections.Counter()
hits, calls = collections.Counter(), collections.Counter()
errors = returned = 0
for f in files:
    rc, secs = open(os.path.join(work, f + ".meta")).read().split()
    rc, secs = int(rc), float(secs)
    rec = {"file": f, "exit": rc, "seconds": round(secs, 3)}
    err = None
    if rc == 124 or rc == 137:
        err = "timeout"
    elif rc > 128:
        err = "signal %d" % (rc - 128)
    elif rc == 2:
        err = "exit 2: " + open(os.path.join(work, f + ".stderr"), errors="replace").read().strip()[-300:]
    elif rc not in (0, 1, 3):  # 0 compatible, 1 incompatible, 3 inconclusive
        err = "exit %d" % rc
    report = None
    if err is None:
        try:
            report = json.load(open(os.path.join(work, f + ".json")))
        except Exception as ex:
            err = "unreadable report: %s" % ex
    if err is not None:
        errors += 1
        rec["toolError"] = err
        kinds["(tool error)"] += 1
        records.append(rec)
        continue
    run = report["runs"][0]
    rec["loaded"] = run.get("loaded")
    rec["verdict"] = report.get("verdict")
    rec["verdictReason"] = report.get("verdictReason")
    eps = run.get("entryPoints") or []
    de = next((e for e in eps if e.get("name") == "DriverEntry"), None)
    if not run.get("loaded"):
        kind = "(not loaded: %s)" % (run.get("loadFailure") or "?")[:60]
    elif de is None:
        kind = "(DriverEntry not run)"
    else:
        kind = de["outcome"]["kind"]
        rec["driverEntry"] = {k: de["outcome"].get(k) for k in ("kind", "summary", "statusName")}
        rec["driverEntryInstructions"] = de.get("instructions")
    if kind == "returned":
        returned += 1
    kinds[kind] += 1
    rec["entryPoints"] = [{"name": e.get("name"), "kind": e["outcome"]["kind"]} for e in eps]
    for e in eps:
        all_kinds[e["outcome"]["kind"]] += 1
    um = run.get("unmodeledCalls") or []
    rec["unmodeledCalls"] = um
    for u in um:
        hits[u["function"]] += 1
        calls[u["function"]] += u.get("count", 1)
    records.append(rec)
n = len(files)
pct = lambda x: round(100.0 * x / n, 1) if n else 0.0
try:
    ver = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.strip()
except Exception:
    ver = "?"
summary = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "directory": d, "tool": tool, "toolVersion": ver, "timeoutSeconds": int(timeout), "hvci": "on",
    "files": n, "toolErrors": errors,
    "driverEntryReturned": returned, "driverEntryReturnedPercent": pct(returned),
    "driverEntryOutcomes": dict(kinds.most_common()),
    "allEntryPointOutcomes": dict(all_kinds.most_common()),
    "driversWithUnmodeledCalls": sum(1 for r in records if r.get("unmodeledCalls")),
    "topUnmodeled": [{"function": fn, "drivers": c, "calls": calls[fn]} for fn, c in hits.most_common(30)],
    "totalSeconds": round(sum(r["seconds"] for r in records), 1),
    "verdicts": dict(collections.Counter(r.get("verdict") or "(tool error)" for r in records).most_common()),
}
failed = [r for r in records if "toolError" not in r and r.get("driverEntry", {}).get("kind") != "returned" and r.get("loaded")]
fhits = collections.Counter(u["function"] for r in failed for u in r.get("unmodeledCalls", []))
summary["driverEntryNotReturnedLoaded"] = len(failed)
summary["notReturnedWithoutUnmodeledCalls"] = sum(1 for r in failed if not r.get("unmodeledCalls"))
summary["topUnmodeledWhereDriverEntryDidNotReturn"] = [{"function": fn, "drivers": c} for fn, c in fhits.most_common(15)]
json.dump({"summary": summary, "files": records}, open(out, "w"), indent=1)
print("files:               %d" % n)
print("tool errors:         %d (exit 2, signal or timeout)" % errors)
for r in records:
    if "toolError" in r:
        print("  %-40s %s" % (r["file"], r["toolError"].splitlines()[0][:100]))
print("DriverEntry returned: %d / %d (%.1f%%)" % (returned, n, pct(returned)))
print("DriverEntry outcome kinds:")
for k, c in kinds.most_common():
    print("  %-50s %4d (%.1f%%)" % (k, c, pct(c)))
print("all entry points' outcome kinds: " + ", ".join("%s %d" % kc for kc in all_kinds.most_common()))
print("drivers with unmodeled calls: %d" % summary["driversWithUnmodeledCalls"])
print("top unmodeled functions (drivers hitting / calls):")
for t in summary["topUnmodeled"]:
    print("  %-60s %4d %6d" % (t["function"], t["drivers"], t["calls"]))
print("loaded drivers whose DriverEntry did not return: %d (%d of them hit no unmodeled function); unmodeled functions among them:" % (
    len(failed), summary["notReturnedWithoutUnmodeledCalls"]))
for t in summary["topUnmodeledWhereDriverEntryDidNotReturn"]:
    print("  %-60s %4d" % (t["function"], t["drivers"]))
print("verdicts: " + ", ".join("%s %d" % kc for kc in summary["verdicts"].items()))
for r in records:
    if r.get("verdict") == "inconclusive":
        print("  inconclusive  %-32s %s" % (r["file"], (r.get("verdictReason") or "")[:150]))
slow = sorted(records, key=lambda r: -r["seconds"])[:10]
print("slowest: " + ", ".join("%s %.2f s" % (r["file"], r["seconds"]) for r in slow))
print("total tool time: %.1f s; results: %s" % (summary["totalSeconds"], out))
PY
