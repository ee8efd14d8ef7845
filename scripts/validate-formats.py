#!/usr/bin/env python3
"""Check hvcisim's SARIF and JUnit output with the readers CI services use.

    validate-formats.py sarif FILE...   JSON Schema validation against the official SARIF 2.1.0
                                        schema (Tests/CLITests/Fixtures/sarif-schema-2.1.0.json,
                                        or --schema PATH), then Microsoft's `sarif summary`.
    validate-formats.py junit FILE...   parsed by junitparser; the tests/failures/skipped counts
                                        on each suite and on <testsuites> must match its cases.

Needs: python3 -m pip install jsonschema sarif-tools junitparser (make test installs them).
Exit status 0 when every file passes, 1 when one fails, 2 when a package is missing.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "Tests", "CLITests", "Fixtures", "sarif-schema-2.1.0.json")


def need(module, package):
    try:
        return __import__(module)
    except ImportError:
        print(f"validate-formats: the Python package {package} is missing: "
              f"python3 -m pip install jsonschema sarif-tools junitparser", file=sys.stderr)
        sys.exit(2)


def check_sarif(paths, schema_path):
    jsonschema = need("jsonschema", "jsonschema")
    need("sarif", "sarif-tools")
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema) if "draft-07" in schema.get("$schema", "") \
        else jsonschema.validators.validator_for(schema)(schema)
    failed = False
    for path in paths:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
        for error in errors[:10]:
            print(f"{path}: {'/'.join(map(str, error.absolute_path))}: {error.message}", file=sys.stderr)
        failed |= bool(errors)
        # Integers above 2^53 lose precision in JavaScript readers (GitHub's among them).
        for number in numbers(log):
            if abs(number) > 2 ** 53:
                print(f"{path}: integer {number} exceeds 2^53", file=sys.stderr)
                failed = True
        summary = subprocess.run([sys.executable, "-m", "sarif", "summary", path], capture_output=True, text=True)
        if summary.returncode != 0:
            print(f"{path}: sarif summary failed: {summary.stderr.strip()}", file=sys.stderr)
            failed = True
    return failed


def numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from numbers(item)


def check_junit(paths):
    junitparser = need("junitparser", "junitparser")
    failed = False
    for path in paths:
        try:
            xml = junitparser.JUnitXml.fromfile(path)
        except Exception as error:  # lxml's or ElementTree's syntax error: not well-formed XML
            print(f"{path}: not readable as JUnit XML: {error}", file=sys.stderr)
            failed = True
            continue
        totals = [0, 0, 0]
        suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
        for suite in suites:
            cases = list(suite)
            counted = [len(cases),
                       sum(1 for c in cases for r in c.result if isinstance(r, junitparser.Failure)),
                       sum(1 for c in cases if any(isinstance(r, junitparser.Skipped) for r in c.result))]
            declared = [int(suite._elem.get(k, "0")) for k in ("tests", "failures", "skipped")]
            if counted != declared:
                print(f"{path}: suite {suite.name}: declares tests/failures/skipped {declared}, holds {counted}",
                      file=sys.stderr)
                failed = True
            totals = [a + b for a, b in zip(totals, counted)]
        if isinstance(xml, junitparser.JUnitXml):
            declared = [int(xml._elem.get(k, "0")) for k in ("tests", "failures", "skipped")]
            if declared != totals:
                print(f"{path}: <testsuites> declares {declared}, suites hold {totals}", file=sys.stderr)
                failed = True
    return failed


def main(argv):
    args = argv[1:]
    schema = DEFAULT_SCHEMA
    if "--schema" in args:
        i = args.index("--schema")
        schema = args[i + 1]
        del args[i:i + 2]
    if len(args) < 2 or args[0] not in ("sarif", "junit"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, paths = args[0], args[1:]
    failed = check_sarif(paths, schema) if kind == "sarif" else check_junit(paths)
    if not failed:
        print(f"validate-formats: {len(paths)} {kind} file(s) valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
