# hvcisim — the two commands the README names, and their parts.
#   make demo   install what is missing, build, run the built-in Samples in the emulator: the lesson
#   make test   install what is missing, build, run the whole test suite
SWIFT ?= swift
APT_PACKAGES := libunicorn-dev libcapstone-dev python3 python3-pip bc
# Only the tests need a browser (HTMLReportTests opens each HTML report in headless Chromium).
TEST_APT_PACKAGES := chromium
BIN := .build/release/hvcisim

.PHONY: demo test setup build samples bench clean

# Debian packages the build links against (Unicorn, Capstone); installed only when missing.
setup:
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing $(APT_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); }

# Release builds link the Swift runtime statically (and Unicorn, see Package.swift):
# fewer shared objects to map and relocate keeps a run's peak memory low.
build: setup
	$(SWIFT) build -c release --static-swift-stdlib --product hvcisim

# The main job on the built-in examples: every rule Sample through the emulator with HVCI off
# and on (and with the verifier off), then what each shows and why (scripts/lesson.py).
demo: build
	@HVCISIM=$(BIN) bash scripts/demo.sh

# The Python readers the format tests validate SARIF and JUnit output with (scripts/validate-formats.py);
# Debian's own python3 refuses pip outside a venv (PEP 668) unless told --break-system-packages.
PY_PACKAGES := jsonschema sarif-tools junitparser

test: setup
	@dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing $(TEST_APT_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_APT_PACKAGES); }
	@python3 -c "import jsonschema, sarif, junitparser" 2>/dev/null || \
	  python3 -m pip install -q $(PY_PACKAGES) 2>/dev/null || \
	  python3 -m pip install -q --break-system-packages $(PY_PACKAGES)
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Rebuilding the Samples needs the cross compiler; the built .sys files are committed.
samples:
	@dpkg -s gcc-mingw-w64-x86-64 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq gcc-mingw-w64-x86-64; }
	$(MAKE) -C Samples

bench: build
	bash Benchmarks/check-vs-pefile.sh

clean:
	rm -rf .build
