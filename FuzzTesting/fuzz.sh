#!/usr/bin/env bash
# usage: FuzzTesting/fuzz.sh parse|run SECONDS [JOBS]
#        FuzzTesting/fuzz.sh cli COUNT [JOBS]
# cli: COUNT mutated drivers (CLIFuzz, the same structure-aware mutations plus byte edits)
# through the release `hvcisim run`, one process each; every one must exit 0-3 with a JSON
# report (or, with 2, one line on stderr). Failures land in FuzzTesting/artifacts/.
# Builds the libFuzzer target (FuzzParse: PEFile + static checks; FuzzRun: load + run in
# process, isolation off) with every Swift target instrumented, seeds it from Samples/ and,
# when present, the driver corpus (.corpus/drivers), and fuzzes for SECONDS with JOBS
# workers. Crashes, timeouts and out-of-memory inputs land in FuzzTesting/artifacts/;
# the corpus it grows is kept in FuzzTesting/corpus-TARGET/, worker logs in FuzzTesting/logs/
# (all git-ignored).
# The last line is "executions: N" (the sum over workers of libFuzzer's "Done N runs").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
target=${1:?parse, run or cli}; seconds=${2:?seconds}; jobs=${3:-1}
if [ "$target" = cli ]; then
  (cd "$root" && swift build -c release --product hvcisim >/dev/null)
  (cd "$here" && swift build -c release --scratch-path .build-cli --product CLIFuzz >/dev/null)
  mkdir -p "$here/artifacts"
  seeds=("$root/Samples/bin" "$root/Samples/hostile/bin")
  [ -d "$root/.corpus/drivers" ] && [ -n "${CLI_CORPUS:-}" ] && seeds+=("$root/.corpus/drivers")
  exec "$here/.build-cli/release/CLIFuzz" --hvcisim "$root/.build/release/hvcisim" --count "$seconds" \
    --jobs "$jobs" --seed "${SEED:-1}" --artifacts "$here/artifacts" "${seeds[@]}"
fi
case $target in parse) product=FuzzParse ;; run) product=FuzzRun ;; *) echo "parse, run or cli" >&2; exit 2 ;; esac
(cd "$here" && swift build -c release --product "$product" -Xswiftc -sanitize=fuzzer >/dev/null)
binary=$here/.build/release/$product
corpus=$here/corpus-$target; seeds=$here/seeds; artifacts=$here/artifacts
mkdir -p "$corpus" "$seeds" "$artifacts"
cp -n "$root"/Samples/bin/*.sys "$seeds"/ 2>/dev/null || true
[ -d "$root/.corpus/drivers" ] && find "$root/.corpus/drivers" -name '*.sys' -size -1024k -exec cp -n {} "$seeds"/ \; 2>/dev/null || true
# Each worker's libFuzzer log is kept (the counts below come from them; a worker that dies
# leaves its last "#N" status line there).
logs=$here/logs/$target-$(date -u +%Y%m%dT%H%M%SZ); mkdir -p "$logs"
for job in $(seq 1 "$jobs"); do
  HVCISIM_NO_ISOLATION=1 "$binary" "$corpus" "$seeds" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 \
    -max_len=1048576 -artifact_prefix="$artifacts/" -print_final_stats=1 -seed="$job" > "$logs/$job.log" 2>&1 &
done
wait || true
total=0
for job in $(seq 1 "$jobs"); do
  runs=$(grep -o 'Done [0-9]* runs' "$logs/$job.log" | awk '{print $2}' | tail -1)
  # A worker that did not finish has no "Done" line: take its last status line's count.
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$logs/$job.log" | tr -d '#' | tail -1)
  crashed=$(grep -c 'ERROR: libFuzzer\|==ERROR\|SUMMARY: libFuzzer' "$logs/$job.log" || true)
  echo "worker $job: ${runs:-?} runs, crash reports: $crashed"
  [ "$crashed" = 0 ] || grep -m3 'ERROR\|SUMMARY\|artifact' "$logs/$job.log"
  total=$((total + ${runs:-0}))
done
echo "logs: $logs"
echo "artifacts: $(ls "$artifacts" | wc -l) in $artifacts"
echo "executions: $total"
