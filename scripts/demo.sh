#!/usr/bin/env bash
# make demo: the rule Samples through the emulator (`hvcisim run --hvci both`, and with HVCI on
# and the verifier off, the setting that shows what Driver Verifier adds), then the lesson
# (scripts/lesson.py) and the time it all took.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${HVCISIM:-$root/.build/release/hvcisim}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
start=$(date +%s.%N)
for driver in "$root"/Samples/bin/*.sys; do
  name=$(basename "$driver" .sys)
  # Exit statuses 0, 1 and 3 are verdicts (some Samples are incompatible by design); 2 is an error.
  "$bin" run "$driver" --hvci both --format json -o "$work/$name.both.json" || [ $? -ne 2 ]
  "$bin" run "$driver" --hvci on --verifier off --format json -o "$work/$name.noverifier.json" || [ $? -ne 2 ]
done
end=$(date +%s.%N)
python3 "$root/scripts/lesson.py" "$root/Samples/designed.json" "$work" "$(echo "$end - $start" | bc)"
