#!/usr/bin/env python3
"""Add candidate driver files to the corpus.

usage: ingest.py KIND SOURCE VERSION LICENCE < list
  list: lines "PATH_IN_SOURCE<TAB>LOCAL_FILE"
Keeps PE32+ AMD64 native (subsystem 1) images only, dedupes by SHA-256,
copies them into .corpus/drivers (or .corpus/wine for Wine's builtin
drivers, recognised by their imports of kernel32/msvcrt/ucrtbase or the
"Wine builtin DLL" stub) and appends a row to Corpus/manifest.tsv.
A file whose SHA-256 is already in the manifest is only restored (written
under its manifest name if missing), so this also re-creates the corpus.
"""
import hashlib, os, shutil, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, "Corpus", "manifest.tsv")
HEADER = ["sha256", "file", "source_kind", "source", "path", "version", "licence", "set"]
USERMODE = {"kernel32.dll", "msvcrt.dll", "ucrtbase.dll", "user32.dll", "advapi32.dll"}


def rva_to_off(sections, rva):
    for va, vsize, raw, rawsize in sections:
        if va <= rva < va + max(vsize, rawsize):
            return rva - va + raw
    return None


def classify(data):
    """Return (ok, reason, imported_dll_names)."""
    if len(data) < 0x40 or data[:2] != b"MZ":
        return False, "not MZ", []
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if pe + 24 > len(data) or data[pe:pe + 4] != b"PE\0\0":
        return False, "no PE header", []
    machine, nsec = struct.unpack_from("<HH", data, pe + 4)
    optsize = struct.unpack_from("<H", data, pe + 20)[0]
    opt = pe + 24
    magic = struct.unpack_from("<H", data, opt)[0]
    if machine != 0x8664 or magic != 0x20B:
        return False, "not PE32+ x64 (machine %#x magic %#x)" % (machine, magic), []
    subsystem = struct.unpack_from("<H", data, opt + 68)[0]
    if subsystem != 1:
        return False, "subsystem %d" % subsystem, []
    sections = []
    sh = opt + optsize
    for i in range(nsec):
        o = sh + 40 * i
        if o + 40 > len(data):
            break
        vsize, va, rawsize, raw = struct.unpack_from("<IIII", data, o + 8)
        sections.append((va, vsize, raw, rawsize))
    dlls = []
    try:
        imp_rva = struct.unpack_from("<I", data, opt + 112 + 8)[0]
        off = rva_to_off(sections, imp_rva) if imp_rva else None
        while off is not None and off + 20 <= len(data):
            name_rva = struct.unpack_from("<I", data, off + 12)[0]
            if name_rva == 0:
                break
            no = rva_to_off(sections, name_rva)
            if no is None:
                break
            end = data.index(b"\0", no)
            dlls.append(data[no:end].decode("latin-1").lower())
            off += 20
    except Exception:
        pass
    return True, "ok", dlls


def load_manifest():
    rows = {}
    if os.path.exists(MANIFEST):
        with open(MANIFEST) as f:
            for line in f:
                if line.startswith("sha256\t"):
                    continue
                parts = line.rstrip("\n").split("\t")
                rows[parts[0]] = parts
    return rows


def main():
    kind, source, version, licence = sys.argv[1:5]
    rows = load_manifest()
    new = []
    names = {r[1] for r in rows.values()}
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        inner, local = line.split("\t")
        with open(local, "rb") as f:
            data = f.read()
        ok, reason, dlls = classify(data)
        if not ok:
            print("skip %s: %s" % (inner, reason), file=sys.stderr)
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in rows:
            row = rows[sha]
            dest = os.path.join(ROOT, ".corpus", "wine" if row[7] == "wine" else "drivers", row[1])
            if not os.path.exists(dest):
                with open(dest, "wb") as f:
                    f.write(data)
                print("restored %s -> %s" % (inner, row[1]), file=sys.stderr)
            else:
                print("dup  %s (= %s)" % (inner, row[1]), file=sys.stderr)
            continue
        is_wine = bool(USERMODE & set(dlls)) or b"Wine builtin DLL" in data[:0x200]
        subset = "wine" if is_wine else "corpus"
        base = os.path.basename(inner)
        if not base.lower().endswith(".sys"):
            base = os.path.splitext(base)[0] + ".sys"
        name = base
        if name.lower() in {n.lower() for n in names}:
            name = sha[:8] + "_" + base
        names.add(name)
        dest = os.path.join(ROOT, ".corpus", "drivers" if subset == "corpus" else "wine", name)
        with open(dest, "wb") as f:
            f.write(data)
        row = [sha, name, kind, source, inner, version, licence, subset]
        rows[sha] = row
        new.append(row)
        print("add  %s -> %s [%s]" % (inner, name, subset), file=sys.stderr)
    write_header = not os.path.exists(MANIFEST)
    with open(MANIFEST, "a") as f:
        if write_header:
            f.write("\t".join(HEADER) + "\n")
        for r in new:
            f.write("\t".join(r) + "\n")
    print("%d added" % len(new), file=sys.stderr)


if __name__ == "__main__":
    main()
