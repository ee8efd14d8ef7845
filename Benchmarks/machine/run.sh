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
[ -x "$hvcisim" ] || (cd "$root" && swift build -c release --static-swift-stdlib --product hvcisim --scratch-path "$scratch" >/dev/null)
mkdir -p "$here/build"
cc -O2 -o "$here/build/bare" "$here/bare.c" -lunicorn

driver="$here/crc-loop.sys"
count=$("$hvcisim" run "$driver" --timeout 3600 --max-instructions 100000000000 --format json \
        | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["runs"][0]["entryPoints"][0]["instructions"])')

# One timed run: prints "wall cpu" (cpu = user + system of the child); CPU time is what the
# ratio uses, since wall time on a shared 2-core machine swings with the other load.
timed() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
before = resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
wall = time.monotonic() - start
after = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime:.3f}")
PY
}
hv=(); bare=()
for _ in $(seq "$runs"); do
    hv+=("$(timed "$hvcisim" run "$driver" --max-instructions 0 --timeout 3600)")
    bare+=("$(timed "$here/build/bare" "$driver")")
done
python3 - "$count" "${hv[@]}" -- "${bare[@]}" <<'PY'
import statistics, sys
args = sys.argv[2:]
split = args.index("--")
def parse(items):
    pairs = [tuple(map(float, item.split())) for item in items]
    return [w for w, _ in pairs], [c for _, c in pairs]
hv_wall, hv_cpu = parse(args[:split])
bare_wall, bare_cpu = parse(args[split + 1:])
count = int(sys.argv[1])
print(f"instructions (DriverEntry, counted by hvcisim): {count:,}")
for name, wall, cpu in (("hvcisim run", hv_wall, hv_cpu), ("bare unicorn", bare_wall, bare_cpu)):
    print(f"{name:13} CPU median {statistics.median(cpu):.3f} s ({count / statistics.median(cpu) / 1e6:.0f} M instr/s), "
          f"wall median {statistics.median(wall):.3f} s   CPU runs {cpu}")
ratio = statistics.median(bare_cpu) / statistics.median(hv_cpu)
print(f"hvcisim / bare instructions per CPU second: {ratio:.2f}x  (target >= 0.90x: {'met' if ratio >= 0.9 else 'NOT met'})")
PY
