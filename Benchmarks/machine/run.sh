#!/usr/bin/env bash
# Machine benchmark: hvcisim's emulation speed against a bare Unicorn harness.
#
# crc-loop.sys's DriverEntry allocates 16 MiB of pool and runs CrcWork over it
# (fill + 4 CRC-32 passes). `hvcisim run` executes it under the page-table
# model (instruction counting off: --max-instructions 0); bare.c runs the same
# exported CrcWork in Debian's libunicorn with no hooks and one flat RWX image.
# Both are timed as whole processes, alternating, N times each; instructions
# per second use the instruction count hvcisim reports with counting on.
# Target: hvcisim >= 0.9x the bare harness's instructions per second.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
runs="${RUNS:-3}"
scratch="${SCRATCH:-.build}"
hvcisim="${HVCISIM:-$root/$scratch/release/hvcisim}"

dpkg -s libunicorn-dev >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libunicorn-dev; }
[ -x "$hvcisim" ] || (cd "$root" && swift build -c release --product hvcisim --scratch-path "$scratch" >/dev/null)
mkdir -p "$here/build"
cc -O2 -o "$here/build/bare" "$here/bare.c" -lunicorn

driver="$here/crc-loop.sys"
count=$("$hvcisim" run "$driver" --timeout 3600 --max-instructions 100000000000 --format json \
        | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["runs"][0]["entryPoints"][0]["instructions"])')

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); python3 -c "print($e - $s)"; }
hv=(); bare=()
for _ in $(seq "$runs"); do
    hv+=("$(seconds "$hvcisim" run "$driver" --max-instructions 0 --timeout 3600)")
    bare+=("$(seconds "$here/build/bare" "$driver")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mh=$(median "${hv[@]}"); mb=$(median "${bare[@]}")
python3 - "$count" "$mh" "$mb" "${hv[*]}" "${bare[*]}" <<'PY'
import sys
count, hv, bare = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"instructions (DriverEntry, counted by hvcisim): {count:,}")
print(f"hvcisim run   median {hv:.3f} s  ({count / hv / 1e6:.1f} M instructions/s)   runs: {sys.argv[4]}")
print(f"bare unicorn  median {bare:.3f} s  ({count / bare / 1e6:.1f} M instructions/s)   runs: {sys.argv[5]}")
ratio = bare / hv
print(f"hvcisim / bare instructions per second: {ratio:.2f}x  (target >= 0.90x: {'met' if ratio >= 0.9 else 'NOT met'})")
PY
