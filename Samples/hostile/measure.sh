#!/bin/sh
# measure.sh - runs every hostile sample through a release build of hvcisim under GNU time and
# prints, per sample: exit status, expected exit status, wall seconds and peak RSS (KiB, the
# largest of hvcisim and its emulator process), with the options of expected.tsv.
#
#   swift build -c release --product hvcisim      (once)
#   Samples/hostile/measure.sh [path/to/hvcisim]
#
# The limit for each run is its own: the guest-memory cap (--memory-limit, 512 MiB unless the
# table says otherwise) + 64 MiB of peak RSS, and the entry point's --timeout (10 s unless set).
set -u
here=$(cd "$(dirname "$0")" && pwd)
hvcisim=${1:-$here/../../.build/release/hvcisim}
time=/usr/bin/time
[ -x "$time" ] || { echo "measure.sh: GNU time is missing (apt-get install time)" >&2; exit 2; }
printf '%-22s %4s %8s %8s %10s %10s\n' sample exit expected wall_s peak_KiB limit_KiB
grep -v '^#' "$here/expected.tsv" | while IFS="$(printf '\t')" read -r sample entry kind detail expected options measured; do
    # The tests cut some limits short (call-storm: 10,000 kernel calls); measure with the defaults.
    case "$measured" in "") ;; -) options= ;; *) options=$measured ;; esac
    out=$(mktemp)
    # shellcheck disable=SC2086 # options are words
    "$time" -f '%e %M' -o "$out.time" "$hvcisim" run "$here/bin/$sample.sys" --hvci on --mode enforce \
        --format json $options >"$out" 2>/dev/null
    status=$?
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null || status="$status!json"
    read -r wall rss <<EOF2
$(tail -n 1 "$out.time")
EOF2
    cap=512
    case " $options " in *" --memory-limit "*) cap=$(echo "$options" | sed 's/.*--memory-limit \([0-9]*\).*/\1/') ;; esac
    printf '%-22s %4s %8s %8s %10s %10s\n' "$sample" "$status" "$expected" "$wall" "$rss" $(( (cap + 64) * 1024 ))
    rm -f "$out" "$out.time"
done
