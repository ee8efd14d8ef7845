#!/usr/bin/env bash
# Scan benchmark: `hvcisim scan --jobs 2` against `--jobs 1` over the drivers of
# Corpus/manifest.tsv (.corpus/drivers, fetched by Corpus/fetch.sh) plus the Samples.
# Both are timed as whole processes, alternating, RUNS times each (default 3); the
# medians give the speed-up. Targets (issue 11): jobs 2 >= 1.8x faster than jobs 1,
# and <= 5 s wall on a 2-core machine.
# Environment: HVCISIM (binary; default .build/release/hvcisim), RUNS, CORPUS (default .corpus/drivers).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${RUNS:-3}"
hvcisim="${HVCISIM:-$root/.build/release/hvcisim}"
corpus="${CORPUS:-$root/.corpus/drivers}"
[ -x "$hvcisim" ] || (cd "$root" && swift build -c release --static-swift-stdlib --product hvcisim >/dev/null)
[ -d "$corpus" ] || { echo "no corpus at $corpus (Corpus/fetch.sh)" >&2; exit 2; }
# The rule Samples, not the hostile ones: those loop or storm until their limits on purpose.
paths=("$corpus" "$root/Samples/bin")
drivers=$(find "${paths[@]}" -iname '*.sys' | wc -l)

python3 - "$hvcisim" "$runs" "$drivers" "${paths[@]}" <<'PY'
import statistics, subprocess, sys, time
tool, runs, drivers, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def timed(jobs):
    start = time.monotonic()
    result = subprocess.run([tool, "scan", *paths, "--jobs", str(jobs), "--format", "json", "-o", "/dev/null"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if result.returncode not in (0, 1, 3):
        sys.exit(f"scan --jobs {jobs} exited {result.returncode}: {result.stderr.decode()[-400:]}")
    return time.monotonic() - start
one, two = [], []
for _ in range(runs):          # alternate, so that drift in the machine's load hits both
    one.append(timed(1))
    two.append(timed(2))
m1, m2 = statistics.median(one), statistics.median(two)
print(f"drivers: {drivers}")
print(f"scan --jobs 1: median {m1:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in one)})")
print(f"scan --jobs 2: median {m2:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in two)})")
print(f"speed-up: {m1 / m2:.2f}x (target >= 1.8x); jobs 2 wall {m2:.2f} s (target <= 5 s)")
PY
