# Samples/toolchain.mk - the mingw-w64 toolchain, flags and shared rules of every sample
# Makefile (Makefile, hostile/Makefile).  Builds are deterministic: no timestamp
# (--no-insert-timestamp), no symbols or debug info (-s, no -g), no compiler ident string
# (-fno-ident), and only relative paths on command lines.

# Every including Makefile builds `all` by default (the rules below would come first).
.DEFAULT_GOAL := all

CROSS   ?= x86_64-w64-mingw32-
# GNU make predefines CC=cc, so "CC ?= ..." would never apply; replace only
# that built-in default (make CC=... still wins).
ifeq ($(origin CC),default)
CC      := $(CROSS)gcc
endif
OBJCOPY ?= $(CROSS)objcopy
DLLTOOL ?= $(CROSS)dlltool
DDK     ?= /usr/x86_64-w64-mingw32/include/ddk

CFLAGS  := -std=gnu11 -O2 -Wall -Wextra -Wno-multichar \
           -fno-stack-protector -mno-red-zone -mno-stack-arg-probe \
           -fno-ident -isystem $(DDK)
# A driver is an EXE-style PE32+ image (no IMAGE_FILE_DLL) for the native
# subsystem, based at 0x140000000 like MSVC's /DRIVER, relocatable and NX
# compatible.  .pdata/.xdata (unwind data) are kept.
LDFLAGS := -nostdlib -s -Wl,--subsystem,native -Wl,--entry,DriverEntry \
           -Wl,--image-base,0x140000000 -Wl,--no-insert-timestamp \
           -Wl,--dynamicbase,--nxcompat,--high-entropy-va

build bin:
	mkdir -p $@

# An import library per .def file (src/NAME.def -> build/libNAME.a).
build/lib%.a: src/%.def | build
	$(DLLTOOL) -m i386:x86-64 --deterministic-libraries -d $< -l $@
