#!/usr/bin/env bash
# usage: Corpus/git-extract.sh GITDIR OWNER/NAME [LICENCE] [COMMIT]
# Extracts every blob under 4 MiB at COMMIT (default HEAD) that starts with "MZ"
# and ingests it (Corpus/ingest.py keeps PE32+ x64 native drivers only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gitdir=$1; repo=$2; licence=${3:-unknown}; rev=${4:-HEAD}
commit=$(git -C "$gitdir" rev-parse "$rev^{commit}")
stage=$(mktemp -d "$here/../.corpus/staging/x.XXXXXX")
list=$stage/list.tsv; : > "$list"
i=0
git -C "$gitdir" ls-tree -r -l -z "$commit" | while IFS= read -r -d '' entry; do
  meta=${entry%%$'\t'*}; path=${entry#*$'\t'}
  set -- $meta
  [ "$2" = blob ] || continue
  size=$4; [ "$size" != - ] || continue
  [ "$size" -ge 1024 ] && [ "$size" -lt 4194304 ] || continue
  i=$((i+1)); f=$stage/$i.bin
  git -C "$gitdir" cat-file blob "$3" > "$f"
  [ "$(head -c 2 "$f")" = MZ ] || { rm -f "$f"; continue; }
  printf '%s\t%s\n' "$path" "$f" >> "$list"
done
python3 "$here/ingest.py" github "$repo" "$commit" "$licence" < "$list"
rm -rf "$stage"
