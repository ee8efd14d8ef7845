# hvcisim — the two commands the README names, and their parts.
#   make demo   install what is missing, build, check the built-in Samples
#   make test   install what is missing, build, run the whole test suite
SWIFT ?= swift
APT_PACKAGES := libunicorn-dev libcapstone-dev python3
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

demo: build
	@echo "== hvcisim check on the built-in Samples (exit status 1 = some are incompatible, as designed) =="
	@$(BIN) check Samples/bin/*.sys; status=$$?; echo "== exit status $$status =="; [ $$status -le 1 ]

test: setup
	@dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing $(TEST_APT_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_APT_PACKAGES); }
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
