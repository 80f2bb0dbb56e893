# SPDX-License-Identifier: MIT
# The README quick start. Everything real happens in meson; these targets only chain steps.
#   make run     install missing build packages (as root), build rmcp, run the main job here
#   make check   install missing build+test packages (as root), build, run every test and fuzzer
BUILD    ?= build
FUZZ     ?= build-fuzz
FUZZ_SECONDS ?= 20
# -Werror in CI (CI=true), plain warnings on developer machines.
WERROR   := $(if $(filter true 1 yes,$(CI)),true,false)
MESON_OPTS ?=

.PHONY: all build check test fuzz bench run clean

all: build

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=$(WERROR) $(MESON_OPTS)

build: $(BUILD)/build.ninja
	meson compile -C $(BUILD)

run:
	@scripts/install-deps.sh build
	@$(MAKE) --no-print-directory $(BUILD)/build.ninja
	meson compile -C $(BUILD) rmcp
	$(BUILD)/rmcp scan

# Tests are enabled explicitly here, so a missing test package is an error, not a skip.
test: $(BUILD)/build.ninja
	meson configure $(BUILD) -Dtests=enabled -Dwerror=$(WERROR)
	meson compile -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

$(FUZZ)/build.ninja:
	CC=clang-19 meson setup $(FUZZ) -Dfuzz=true -Dtests=disabled -Db_sanitize=address,undefined \
		-Db_lundef=false -Dwerror=$(WERROR)

fuzz: $(FUZZ)/build.ninja
	meson compile -C $(FUZZ)
	@scripts/run-fuzzers.sh $(FUZZ) $(FUZZ_SECONDS) $(BUILD)/tests/fixtures-out

check:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory test fuzz
	@scripts/test-summary.py $(BUILD) $(FUZZ)

bench: build
	bench/scan.sh $(BUILD)/rmcp

clean:
	rm -rf $(BUILD) $(FUZZ)
