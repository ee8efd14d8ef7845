#!/usr/bin/env bash
# Re-fetch the PyPI and Debian parts of the corpus and verify every file in
# .corpus/ against Corpus/manifest.tsv (SHA-256).
#
#   Corpus/fetch.sh            fetch PyPI/Debian files listed in the manifest, then verify
#   Corpus/fetch.sh --add      also add new drivers found in those archives to the manifest
#   Corpus/fetch.sh --verify   only verify what is in .corpus/
#
# GitHub rows cannot be fetched by this script: they come from repository
# snapshots brought in with the session tool (see Corpus/README.md); use
# Corpus/git-extract.sh on such a snapshot to restore them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=$root/.corpus
manifest=$here/manifest.tsv
mode=${1:-fetch}
PY=${PYTHON:-python3}
PIP=${PIP:-"$PY -m pip"}

# PyPI packages (name==version) whose wheels ship x64 kernel drivers.
PYPI=(pydivert==4.0.1 pydivert==3.1.3 pydivert==3.0.0 pydivert==2.1.0 pydivert==2.0.9 pydivert==1.0.2)
# Debian packages (bookworm, amd64) shipping x86_64-windows .sys files (Wine's own).
DEBIAN=(libwine)

mkdir -p "$corpus/drivers" "$corpus/wine" "$corpus/staging"

extract_and_ingest() { # kind source version dir
  local kind=$1 src=$2 ver=$3 dir=$4 list
  list=$(mktemp)
  (cd "$dir" && find . -type f -iname '*.sys' | sed 's#^\./##' | sort) | while read -r p; do
    printf '%s\t%s\n' "$p" "$dir/$p"; done > "$list"
  if [ "$mode" = --add ]; then
    "$PY" "$here/ingest.py" "$kind" "$src" "$ver" "$5" < "$list"
  else # restore files that the manifest names
    while IFS=$'\t' read -r p f; do
      sha=$(sha256sum "$f" | cut -d' ' -f1)
      row=$(awk -F'\t' -v s="$sha" '$1==s' "$manifest")
      [ -n "$row" ] || continue
      name=$(cut -f2 <<<"$row"); set_=$(cut -f8 <<<"$row")
      sub=drivers; [ "$set_" = wine ] && sub=wine
      cp "$f" "$corpus/$sub/$name"
    done < "$list"
  fi
  rm -f "$list"
}

if [ "$mode" != --verify ]; then
  for spec in "${PYPI[@]}"; do
    name=${spec%%==*}; ver=${spec#*==}
    d=$(mktemp -d "$corpus/staging/pypi.XXXXXX")
    if $PIP download --quiet --no-deps --only-binary=:all: -d "$d" "$spec" 2>/dev/null ||
       $PIP download --quiet --no-deps -d "$d" "$spec"; then
      for a in "$d"/*; do
        case $a in
          *.whl|*.zip) (cd "$d" && "$PY" -m zipfile -e "$a" x/) ;;
          *.tar.gz) mkdir -p "$d/x" && tar -xzf "$a" -C "$d/x" ;;
        esac
      done
      [ -d "$d/x" ] && extract_and_ingest pypi "$name" "$ver" "$d/x" "$(
        "$PY" - "$d" <<'PYEOF'
import sys, glob, email
for m in glob.glob(sys.argv[1] + "/x/*.dist-info/METADATA") + glob.glob(sys.argv[1] + "/x/*/PKG-INFO"):
    msg = email.message_from_string(open(m, errors="replace").read())
    print(msg.get("License-Expression") or msg.get("License") or "unknown"); break
else:
    print("unknown")
PYEOF
      )"
    else
      echo "pypi: could not download $spec" >&2
    fi
    rm -rf "$d"
  done
  for pkg in "${DEBIAN[@]}"; do
    d=$(mktemp -d "$corpus/staging/deb.XXXXXX")
    if (cd "$d" && apt-get download "$pkg" >/dev/null 2>&1); then
      deb=$(ls "$d"/*.deb); ver=$(dpkg-deb -f "$deb" Version)
      dpkg-deb -x "$deb" "$d/x"
      extract_and_ingest debian "$pkg" "$ver" "$d/x" "LGPL-2.1+"
    else
      echo "debian: could not download $pkg (run apt-get update first)" >&2
    fi
    rm -rf "$d"
  done
fi

# Verify: every manifest row present with the right hash, and nothing extra.
ok=0; bad=0; missing=0; missing_gh=0
while IFS=$'\t' read -r sha name kind src path ver lic set_; do
  [ "$sha" = sha256 ] && continue
  sub=drivers; [ "$set_" = wine ] && sub=wine
  f=$corpus/$sub/$name
  if [ ! -f "$f" ]; then
    missing=$((missing+1)); [ "$kind" = github ] && missing_gh=$((missing_gh+1)); continue
  fi
  if [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sha" ]; then ok=$((ok+1)); else
    bad=$((bad+1)); echo "MISMATCH $f" >&2; fi
done < "$manifest"
extra=0
for f in "$corpus"/drivers/* "$corpus"/wine/*; do
  [ -f "$f" ] || continue
  awk -F'\t' -v n="$(basename "$f")" '$2==n{found=1} END{exit !found}' "$manifest" || { extra=$((extra+1)); echo "not in manifest: $f" >&2; }
done
echo "verified: $ok ok, $bad mismatched, $missing missing ($missing_gh of them from GitHub snapshots), $extra not in manifest"
[ "$bad" -eq 0 ]
