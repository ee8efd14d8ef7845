#!/usr/bin/env bash
# usage: Benchmarks/speakeasy/run-corpus.sh DIR [RESULTS.json]
# Runs Speakeasy (`speakeasy -t FILE -o report.json`, its default config:
# 60 s emulation timeout, 10,000 API calls, emulated network only) on every .sys
# in DIR and counts the drivers whose DriverEntry completed: the report's
# first entry point of ep_type "entry_point" has no "error" object.
# Environment: SPEAKEASY (default .corpus/venv/bin/speakeasy), TIMEOUT (outer
# limit per file, default 180 s), JOBS (files at once, default 1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=$(cd "${1:?usage: run-corpus.sh DIR [RESULTS.json]}" && pwd)
out=${2:-$root/.corpus/results/speakeasy-$(basename "$dir").json}
SPEAKEASY=${SPEAKEASY:-$root/.corpus/venv/bin/speakeasy}
TIMEOUT=${TIMEOUT:-180}
JOBS=${JOBS:-1}
[ -x "$SPEAKEASY" ] || { echo "no speakeasy at $SPEAKEASY (see Benchmarks/speakeasy/README.md)" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
run_one() {
  local f=$1 n rc=0 s e; n=$(basename "$f")
  s=$EPOCHREALTIME
  (cd "$work" && timeout -k 5 "$TIMEOUT" "$SPEAKEASY" -t "$f" -o "$work/$n.json" > /dev/null 2> "$work/$n.stderr") || rc=$?
  e=$EPOCHREALTIME
  printf '%s %s\n' "$rc" "$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f", b-a}')" > "$work/$n.meta"
}
export -f run_one; export SPEAKEASY TIMEOUT work
find "$dir" -maxdepth 1 -type f -iname '*.sys' -print0 | sort -z > "$work/files"
xargs -0 -r -n 1 -P "$JOBS" bash -c 'run_one "$0"' < "$work/files"
python3 - "$dir" "$work" "$out" "$SPEAKEASY" <<'PY'
import json, os, sys, collections, datetime, subprocess
d, work, out, tool = sys.argv[1:]
files = [os.path.basename(f) for f in open(os.path.join(work, "files")).read().split("\0") if f]
recs, kinds, apis = [], collections.Counter(), collections.Counter()
done = errors = 0
for f in files:
    rc, secs = open(os.path.join(work, f + ".meta")).read().split()
    rec = {"file": f, "exit": int(rc), "seconds": float(secs)}
    try:
        rep = json.load(open(os.path.join(work, f + ".json")))
    except Exception:
        rep = None
    eps = (rep or {}).get("entry_points") or []
    de = next((e for e in eps if e.get("ep_type") == "entry_point"), None)
    if rep is None or de is None:
        errors += 1
        kind = "(no report)" if rep is None else "(DriverEntry not run)"
        rec["stderrTail"] = open(os.path.join(work, f + ".stderr"), errors="replace").read()[-300:]
    elif de.get("error"):
        err = de["error"]
        kind = "error: " + str(err.get("type"))
        if err.get("api_name"):
            apis[err["api_name"]] += 1
        rec["error"] = {k: err.get(k) for k in ("type", "api_name", "pc", "address")}
    else:
        kind = "completed"
        done += 1
        rec["retVal"] = de.get("ret_val")
    rec["driverEntry"] = kind
    rec["entryPoints"] = [{"type": e.get("ep_type"), "error": (e.get("error") or {}).get("type")} for e in eps]
    kinds[kind] += 1
    recs.append(rec)
n = len(files)
pct = lambda x: round(100.0 * x / n, 1) if n else 0.0
try:
    import importlib.metadata as md
    ver = subprocess.run([os.path.join(os.path.dirname(tool), "python"), "-c",
        "import importlib.metadata as m;print(m.version('speakeasy-emulator'), m.version('unicorn'))"],
        capture_output=True, text=True).stdout.strip()
except Exception:
    ver = "?"
summary = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "directory": d, "tool": tool, "versions (speakeasy-emulator, unicorn)": ver,
           "files": n, "noReport": errors, "driverEntryCompleted": done,
           "driverEntryCompletedPercent": pct(done), "driverEntryOutcomes": dict(kinds.most_common()),
           "unsupportedApiStops": [{"api": a, "drivers": c} for a, c in apis.most_common(30)],
           "totalSeconds": round(sum(r["seconds"] for r in recs), 1)}
json.dump({"summary": summary, "files": recs}, open(out, "w"), indent=1)
print("files:                  %d" % n)
print("no report / not run:    %d" % errors)
print("DriverEntry completed:  %d / %d (%.1f%%)" % (done, n, pct(done)))
for k, c in kinds.most_common():
    print("  %-40s %4d (%.1f%%)" % (k, c, pct(c)))
print("stopped at unsupported API (top): " + ", ".join("%s %d" % (a, c) for a, c in apis.most_common(15)))
print("total time: %.1f s; results: %s" % (summary["totalSeconds"], out))
PY
