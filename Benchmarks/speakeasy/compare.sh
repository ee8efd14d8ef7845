#!/usr/bin/env bash
# usage: Benchmarks/speakeasy/compare.sh [DRIVER.sys] [N]
# Runs hvcisim (`run --hvci on --format json`) and Speakeasy (`-t FILE -o report.json`)
# on one WDM driver N times each (default 5), alternating, and prints each
# tool's median wall time and peak RSS (GNU time: %e, %M) and the ratios
# hvcisim / Speakeasy (targets: wall <= 0.10, RSS <= 0.33).
# Default driver: .corpus/drivers/ardrv.sys (a real WDM driver whose DriverEntry
# both tools complete); Samples/bin/compliant.sys is the other one to try.
# Environment: HVCISIM (default .build/release/hvcisim, as `make build` makes it:
# release, Swift runtime and Unicorn linked statically — what users run),
# SPEAKEASY (default .corpus/venv/bin/speakeasy), SPEAKEASY_ARGS (e.g. --no-mp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
drv=${1:-$root/.corpus/drivers/ardrv.sys}
n=${2:-5}
HVCISIM=${HVCISIM:-$root/.build/release/hvcisim}
SPEAKEASY=${SPEAKEASY:-$root/.corpus/venv/bin/speakeasy}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
[ -f "$drv" ] || { echo "no driver $drv" >&2; exit 2; }
drv=$(cd "$(dirname "$drv")" && pwd)/$(basename "$drv")
[ -x "$HVCISIM" ] || { echo "no hvcisim at $HVCISIM (build it: make build)" >&2; exit 2; }
[ -x "$SPEAKEASY" ] || { echo "no speakeasy at $SPEAKEASY" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
: > "$work/h"; : > "$work/s"
for i in $(seq 1 "$n"); do
  $TIME -o "$work/t" -f "%e %M" "$HVCISIM" run --hvci on --format json -o "$work/h.json" "$drv" > /dev/null 2>&1 || true
  cat "$work/t" >> "$work/h"
  (cd "$work" && $TIME -o "$work/t" -f "%e %M" "$SPEAKEASY" ${SPEAKEASY_ARGS:-} -t "$drv" -o "$work/s.json" > /dev/null 2>&1) || true
  cat "$work/t" >> "$work/s"
done
python3 - "$work" "$drv" "$n" <<'PY'
import json, statistics, sys
work, drv, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(p):
    rows = [l.split() for l in open(p) if l.strip() and l.split()[0][0].isdigit()]
    return [float(r[0]) for r in rows], [int(r[1]) for r in rows]
hw, hm = load(work + "/h"); sw, sm = load(work + "/s")
h = json.load(open(work + "/h.json")); s = json.load(open(work + "/s.json"))
hde = next((e for e in h["runs"][0]["entryPoints"] if e["name"] == "DriverEntry"), None)
sde = next((e for e in s.get("entry_points", []) if e.get("ep_type") == "entry_point"), None)
print("driver: %s (%d runs each, alternating)" % (drv, n))
print("hvcisim DriverEntry:   %s; entry points run: %d" % (hde["outcome"]["summary"] if hde else "not run", len(h["runs"][0]["entryPoints"])))
print("speakeasy DriverEntry: %s; entry points run: %d" % (("error " + sde["error"].get("type", "?")) if sde and sde.get("error") else ("completed, ret " + str(sde.get("ret_val")) if sde else "not run"), len(s.get("entry_points", []))))
mh, ms = statistics.median(hw), statistics.median(sw)
rh, rs = statistics.median(hm), statistics.median(sm)
print("%-10s %12s %14s   %s" % ("tool", "median wall", "median peakRSS", "all wall times"))
print("%-10s %10.2f s %11.1f MiB   %s" % ("hvcisim", mh, rh / 1024, " ".join("%.2f" % x for x in hw)))
print("%-10s %10.2f s %11.1f MiB   %s" % ("speakeasy", ms, rs / 1024, " ".join("%.2f" % x for x in sw)))
print("ratio hvcisim/speakeasy: wall %.3f (target <= 0.100, %s), RSS %.3f (target <= 0.333, %s)" % (
    mh / ms, "met" if mh / ms <= 0.1 else "NOT met", rh / rs, "met" if rh / rs <= 1 / 3 else "NOT met"))
PY
