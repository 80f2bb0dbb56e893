# SPDX-License-Identifier: MIT
# The README quick start. Everything real happens in meson; these targets only chain steps.
#   make check   install missing Debian packages (as root), build, run every test and fuzzer
#   make run     build and run the main job on this machine
BUILD    ?= build
FUZZ     ?= build-fuzz
FUZZ_SECONDS ?= 20
# -Werror in CI (CI=true), plain warnings on developer machines.
WERROR   := $(if $(filter true 1 yes,$(CI)),true,false)
MESON_OPTS ?=

.PHONY: all deps build check test fuzz bench run clean

all: build

deps:
	@scripts/install-deps.sh test

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=$(WERROR) $(MESON_OPTS)

build: $(BUILD)/build.ninja
	meson compile -C $(BUILD)

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2
	@scripts/test-summary.py $(BUILD) >/dev/null

$(FUZZ)/build.ninja:
	CC=clang-19 meson setup $(FUZZ) -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=$(WERROR)

fuzz: $(FUZZ)/build.ninja
	meson compile -C $(FUZZ)
	@scripts/run-fuzzers.sh $(FUZZ) $(FUZZ_SECONDS) $(BUILD)/tests/fixtures-out

check: deps
	@$(MAKE) --no-print-directory test fuzz
	@scripts/test-summary.py $(BUILD) $(FUZZ)

bench: build
	bench/scan.sh $(BUILD)/rmcp

run: build
	$(BUILD)/rmcp scan

clean:
	rm -rf $(BUILD) $(FUZZ)
