#!/usr/bin/env bash
# Times `hvcisim check` against the same checks made with pefile
# (Benchmarks/pefile_check.py), side by side in one run, on a corpus of
# >= 1,000 driver files, and checks that both give the same findings.
# See Benchmarks/README.md. Usage: bash Benchmarks/check-vs-pefile.sh
#
# Settings (environment):
#   COPIES=56          copies of each of the 18 corpus files (18 x 56 = 1,008)
#   RUNS=3             timed runs of each tool, alternating; the median counts
#   HVCISIM=path       use this hvcisim binary instead of building one
#   SCRATCH=.build     swift build --scratch-path when building (relative to the repo)
#   PIN_CPU=0          run both tools on this CPU (taskset); empty: no pinning
#   TARGET=20          the files/s-per-core ratio hvcisim must reach (reported, not enforced)
# Exit status: 0 the tools agree; 1 they disagree on some file, or a tool failed; 2 setup failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/Benchmarks"
CORPUS="$BENCH/corpus"
RESULTS_ROOT="$BENCH/results"
COPIES=${COPIES:-56}
RUNS=${RUNS:-3}
SCRATCH=${SCRATCH:-.build}
PIN_CPU=${PIN_CPU-0}
TARGET=${TARGET:-20}
PYTHON=${PYTHON:-python3}

LIBWINE_PACKAGE=libwine          # Debian; its x86_64-windows folder holds 17 .sys files
PYDIVERT_SPEC=pydivert==2.1.0    # PyPI wheel carrying WinDivert64.sys
EXPECTED_DISTINCT=18

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'check-vs-pefile: %s\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------- setup
if ! "$PYTHON" -c 'import pefile' 2>/dev/null; then
    say "installing pefile (PyPI)"
    "$PYTHON" -m pip install -q pefile || die "pip install pefile failed"
fi
PEFILE_VERSION=$("$PYTHON" -c 'import pefile; print(pefile.__version__)')

DIST="$CORPUS/distinct"
DOWNLOADS="$CORPUS/downloads"
if [ "$(find "$DIST" -maxdepth 1 -name '*.sys' 2>/dev/null | wc -l)" -ne "$EXPECTED_DISTINCT" ]; then
    say "fetching the corpus into $CORPUS"
    rm -rf "$DIST" "$DOWNLOADS"
    mkdir -p "$DIST" "$DOWNLOADS"
    (
        cd "$DOWNLOADS"
        if ! apt-get download "$LIBWINE_PACKAGE" >/dev/null 2>&1; then
            say "apt-get download failed; running apt-get update first"
            apt-get update -qq || true
            apt-get download "$LIBWINE_PACKAGE" >/dev/null || exit 1
        fi
        dpkg -x ./"$LIBWINE_PACKAGE"_*.deb libwine
        "$PYTHON" -m pip download -q --no-deps "$PYDIVERT_SPEC" -d . || exit 1
    ) || die "could not download the corpus (apt-get download $LIBWINE_PACKAGE, pip download $PYDIVERT_SPEC)"
    find "$DOWNLOADS/libwine" -path '*/x86_64-windows/*' -name '*.sys' -exec cp {} "$DIST/" \;
    "$PYTHON" - "$DOWNLOADS" "$DIST" <<'PY' || die "WinDivert64.sys not found in the pydivert wheel"
import glob, os, sys, zipfile
downloads, dist = sys.argv[1:]
wheel = glob.glob(os.path.join(downloads, "pydivert-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/WinDivert64.sys"))
    with open(os.path.join(dist, "WinDivert64.sys"), "wb") as f:
        f.write(z.read(name))
PY
    n=$(find "$DIST" -maxdepth 1 -name '*.sys' | wc -l)
    [ "$n" -eq "$EXPECTED_DISTINCT" ] || die "expected $EXPECTED_DISTINCT distinct .sys files, found $n in $DIST"
fi
LIBWINE_VERSION=$(cd "$DOWNLOADS" 2>/dev/null && ls "$LIBWINE_PACKAGE"_*.deb 2>/dev/null | head -1 | sed 's/^[^_]*_\([^_]*\)_.*/\1/' || true)

# The repeated corpus: COPIES hard links (or copies) of each distinct file, in one flat folder.
TOTAL=$((COPIES * EXPECTED_DISTINCT))
REPEATED="$CORPUS/repeated-$COPIES"
if [ "$(find "$REPEATED" -maxdepth 1 -name '*.sys' 2>/dev/null | wc -l)" -ne "$TOTAL" ]; then
    say "making $REPEATED ($EXPECTED_DISTINCT files x $COPIES = $TOTAL)"
    rm -rf "$REPEATED"
    mkdir -p "$REPEATED"
    for ((i = 1; i <= COPIES; i++)); do
        for f in "$DIST"/*.sys; do
            dest=$(printf '%s/c%03d-%s' "$REPEATED" "$i" "$(basename "$f")")
            ln "$f" "$dest" 2>/dev/null || cp "$f" "$dest"
        done
    done
fi
[ "$TOTAL" -ge 1000 ] || say "warning: only $TOTAL files (the benchmark asks for >= 1,000; raise COPIES)"

if [ -z "${HVCISIM:-}" ]; then
    say "building hvcisim (release, scratch path $SCRATCH)"
    (cd "$ROOT" && swift build -c release --static-swift-stdlib --product hvcisim --scratch-path "$SCRATCH" >&2) || die "swift build failed"
    HVCISIM="$ROOT/$SCRATCH/release/hvcisim"
fi
[ -x "$HVCISIM" ] || die "no hvcisim binary at $HVCISIM"

PIN=()
if [ -n "$PIN_CPU" ] && command -v taskset >/dev/null 2>&1; then
    PIN=(taskset -c "$PIN_CPU")
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$RESULTS_ROOT/$STAMP"
mkdir -p "$OUT"

# ---------------------------------------------------------------- timing
# Runs a command with stdout to a file; appends wall, user and system CPU time
# (of the child, from getrusage) and peak RSS as one JSON line to $OUT/timings.jsonl.
timed() {
    local tool=$1 run=$2 output=$3
    shift 3
    "$PYTHON" - "$tool" "$run" "$output" "$@" >>"$OUT/timings.jsonl" <<'PY'
import json, resource, subprocess, sys, time
tool, run, output, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(output, "wb") as out:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=out)
    wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"tool": tool, "run": run, "rc": proc.returncode, "wall": wall, "user": ru.ru_utime,
                  "sys": ru.ru_stime, "maxrss_kib": ru.ru_maxrss, "cmd": cmd}))
PY
}

run_hvcisim() { timed hvcisim "$1" "$2" "${PIN[@]}" "$HVCISIM" check --format json "$3"; }
run_pefile()  { timed pefile  "$1" "$2" "${PIN[@]}" "$PYTHON" "$BENCH/pefile_check.py" "$3"; }

say "agreement run on the $EXPECTED_DISTINCT distinct files"
run_hvcisim distinct "$OUT/distinct-hvcisim.json" "$DIST"
run_pefile  distinct "$OUT/distinct-pefile.jsonl" "$DIST"

say "warm-up (untimed): one run of each over $TOTAL files"
run_hvcisim warmup "$OUT/warmup-hvcisim.json" "$REPEATED"
run_pefile  warmup "$OUT/warmup-pefile.jsonl" "$REPEATED"

for ((r = 1; r <= RUNS; r++)); do
    say "run $r/$RUNS: hvcisim check --format json ($TOTAL files)"
    run_hvcisim "$r" "$OUT/run$r-hvcisim.json" "$REPEATED"
    say "run $r/$RUNS: pefile_check.py ($TOTAL files)"
    run_pefile "$r" "$OUT/run$r-pefile.jsonl" "$REPEATED"
done

# ---------------------------------------------------------------- report
export OUT DIST TOTAL RUNS TARGET PEFILE_VERSION LIBWINE_VERSION HVCISIM PIN_CPU STAMP EXPECTED_DISTINCT
set +e
"$PYTHON" - <<'PY'
import hashlib, json, os, platform, statistics, subprocess, sys

OUT, DIST = os.environ["OUT"], os.environ["DIST"]
TOTAL, RUNS, TARGET = int(os.environ["TOTAL"]), int(os.environ["RUNS"]), float(os.environ["TARGET"])
problems = []

def base(path):
    return os.path.basename(path)

def load_hvcisim(path, strip_copy=False):
    doc = json.load(open(path))
    out = {}
    for r in doc.get("reports", []):
        findings = [[f["code"], f.get("section") or f.get("details", {}).get("function")] for f in r["findings"]]
        out[r["image"]["path"]] = {"sha256": r["image"]["sha256"], "findings": findings, "verdict": r["verdict"],
                                   "image": r["image"]}
    for f in doc.get("failures", []):
        out[f["path"]] = {"error": f["error"]}
    return out

def load_pefile(path):
    out = {}
    for line in open(path):
        rec = json.loads(line)
        out[rec["path"]] = rec
    return out

def compare(h, p, label):
    bad = []
    for path in sorted(set(h) | set(p)):
        a, b = h.get(path), p.get(path)
        if a is None or b is None:
            bad.append(f"{label}: {path}: only in {'pefile' if a is None else 'hvcisim'} output")
            continue
        if "error" in a or "error" in b:
            bad.append(f"{label}: {path}: hvcisim error={a.get('error')!r}, pefile error={b.get('error')!r}")
            continue
        for key in ("verdict", "findings", "sha256"):
            if a[key] != b[key]:
                bad.append(f"{label}: {path}: {key}: hvcisim {a[key]!r} != pefile {b[key]!r}")
    return bad

# 1. The tools' results on the distinct files, and on every file of each timed run.
timings = [json.loads(l) for l in open(os.path.join(OUT, "timings.jsonl"))]
for t in timings:
    ok = t["rc"] in (0, 1)
    if not ok:
        problems.append(f"{t['tool']} run {t['run']} exited {t['rc']}")
dh = load_hvcisim(os.path.join(OUT, "distinct-hvcisim.json"))
dp = load_pefile(os.path.join(OUT, "distinct-pefile.jsonl"))
problems += compare(dh, dp, "distinct")
if len(dh) != int(os.environ["EXPECTED_DISTINCT"]):
    problems.append(f"distinct: hvcisim reported {len(dh)} files")
for r in range(1, RUNS + 1):
    rh = load_hvcisim(os.path.join(OUT, f"run{r}-hvcisim.json"))
    rp = load_pefile(os.path.join(OUT, f"run{r}-pefile.jsonl"))
    if len(rh) != TOTAL or len(rp) != TOTAL:
        problems.append(f"run {r}: hvcisim reported {len(rh)} files, pefile {len(rp)}; expected {TOTAL}")
    problems += compare(rh, rp, f"run {r}")[:20]

# 2. Informational: hvcisim's description of each image against pefile's (a
#    difference here, outside the checks, may still be a parser bug).
import pefile
notes = []
for path, a in sorted(dh.items()):
    if "error" in a:
        continue
    pe = pefile.PE(path, fast_load=False)
    oh = pe.OPTIONAL_HEADER
    img = a["image"]
    mine = [(s["name"], int(s["rva"], 16), s["virtualSize"], s["rawSize"], int(s["characteristics"], 16)) for s in img["sections"]]
    theirs = [(s.Name.split(b"\0", 1)[0].decode("utf-8", "replace"), s.VirtualAddress, s.Misc_VirtualSize,
               s.SizeOfRawData, s.Characteristics) for s in pe.sections]
    if mine != theirs:
        notes.append(f"{base(path)}: sections differ: hvcisim {mine} pefile {theirs}")
    def mods(entries, delay):
        res = []
        for e in entries:
            fns = [(i.name.decode("utf-8", "replace") if i.name is not None else f"#{i.ordinal}") for i in e.imports]
            res.append((e.dll.decode("utf-8", "replace"), delay, fns))
        return res
    theirs_imp = mods(getattr(pe, "DIRECTORY_ENTRY_IMPORT", []), False) + mods(getattr(pe, "DIRECTORY_ENTRY_DELAY_IMPORT", []), True)
    mine_imp = [(m["module"], m["delayLoaded"], m["functions"]) for m in img["imports"]]
    if mine_imp != theirs_imp:
        notes.append(f"{base(path)}: imports differ: hvcisim {mine_imp} pefile {theirs_imp}")
    exports = len(pe.DIRECTORY_ENTRY_EXPORT.symbols) if hasattr(pe, "DIRECTORY_ENTRY_EXPORT") else 0
    if img["exports"] != exports:
        notes.append(f"{base(path)}: exports: hvcisim {img['exports']} pefile {exports}")
    facts = {"imageBase": hex(oh.ImageBase), "entryPoint": hex(oh.AddressOfEntryPoint), "sizeOfImage": oh.SizeOfImage,
             "sectionAlignment": oh.SectionAlignment, "fileAlignment": oh.FileAlignment,
             "dllCharacteristics": hex(oh.DllCharacteristics),
             "signed": bool(oh.DATA_DIRECTORY[4].VirtualAddress and oh.DATA_DIRECTORY[4].Size)}
    for k, v in facts.items():
        if img[k] != v and str(img[k]).lower() != str(v).lower():
            notes.append(f"{base(path)}: {k}: hvcisim {img[k]!r} pefile {v!r}")
    pe.close()

# 3. Timing summary.
def med(tool, key):
    return statistics.median(t[key] for t in timings if t["tool"] == tool and t["run"] not in ("distinct", "warmup"))
summary = {"date": os.environ["STAMP"], "files": TOTAL, "distinct": len(dh), "runs": RUNS,
           "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                       "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")},
           "pinnedCpu": os.environ.get("PIN_CPU") or None,
           "versions": {"python": platform.python_version(), "pefile": os.environ["PEFILE_VERSION"],
                        "libwine": os.environ["LIBWINE_VERSION"]},
           "tools": {}}
for tool in ("hvcisim", "pefile"):
    wall, user, sys_ = med(tool, "wall"), med(tool, "user"), med(tool, "sys")
    cpu = statistics.median(t["user"] + t["sys"] for t in timings if t["tool"] == tool and t["run"] not in ("distinct", "warmup"))
    summary["tools"][tool] = {"wallSeconds": wall, "userSeconds": user, "systemSeconds": sys_, "cpuSeconds": cpu,
                              "filesPerSecond": TOTAL / wall, "filesPerCpuSecond": TOTAL / cpu,
                              "maxRssKiB": max(t["maxrss_kib"] for t in timings if t["tool"] == tool),
                              "wallRuns": [t["wall"] for t in timings if t["tool"] == tool and t["run"] not in ("distinct", "warmup")]}
h, p = summary["tools"]["hvcisim"], summary["tools"]["pefile"]
summary["ratio"] = {"wall": h["filesPerSecond"] / p["filesPerSecond"],
                    "perCore": h["filesPerCpuSecond"] / p["filesPerCpuSecond"], "target": TARGET}
summary["agreement"] = {"mismatches": problems, "parserNotes": notes}
summary["distinctFiles"] = {base(k): {"sha256": v.get("sha256"), "verdict": v.get("verdict"),
                                      "codes": [c for c, _ in v.get("findings", [])]} for k, v in sorted(dh.items())}
json.dump(summary, open(os.path.join(OUT, "summary.json"), "w"), indent=2)

rows = [("tool", "median wall s", "CPU s (user+sys)", "files/s (wall)", "files/s per core (CPU)", "peak RSS MiB")]
for tool in ("hvcisim", "pefile"):
    t = summary["tools"][tool]
    rows.append((tool, f"{t['wallSeconds']:.3f}", f"{t['cpuSeconds']:.3f}", f"{t['filesPerSecond']:.0f}",
                 f"{t['filesPerCpuSecond']:.0f}", f"{t['maxRssKiB'] / 1024:.0f}"))
widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
lines = [f"hvcisim check vs pefile: {TOTAL} files ({len(dh)} distinct x {TOTAL // max(len(dh), 1)}), "
         f"median of {RUNS} alternating runs, {summary['date']}, {os.cpu_count()} CPUs ({summary['machine']['cpu']})",
         ""]
lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
r = summary["ratio"]
lines += ["", f"ratio hvcisim/pefile: {r['wall']:.1f}x files/s (wall), {r['perCore']:.1f}x files/s per core (CPU); "
              f"target >= {TARGET:g}x per core: {'met' if r['perCore'] >= TARGET else 'NOT met'}",
          f"agreement (verdict, finding codes and subjects, SHA-256) on the {len(dh)} distinct files and all "
          f"{TOTAL} files of every run: {'yes' if not problems else 'NO, ' + str(len(problems)) + ' mismatches'}"]
if notes:
    lines.append(f"parser cross-check (sections, imports, exports, header fields) differences: {len(notes)}")
    lines += ["  " + n for n in notes]
else:
    lines.append("parser cross-check (sections, imports, exports, header fields): same as pefile for every distinct file")
for m in problems:
    lines.append("MISMATCH " + m)
text = "\n".join(lines) + "\n"
open(os.path.join(OUT, "summary.txt"), "w").write(text)
print(text, end="")
print(f"results: {OUT}")
sys.exit(1 if problems else 0)
PY
status=$?
ln -sfn "$STAMP" "$RESULTS_ROOT/latest"
exit $status
