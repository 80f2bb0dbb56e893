# SPDX-License-Identifier: MIT
# The README quick start. Everything real happens in meson; these targets only chain steps.
#   make run     install missing build packages (as root), build rmcp, run rmcp doctor here
#                (and on the demo snapshot when this machine has no AMD GPU)
#   make check   install missing build+test packages (as root), build, run every test and fuzzer,
#                build the Debian package and lint it
#   make deb     build the Debian package from debian/ and run lintian (scripts/build-deb.sh)
BUILD    ?= build
FUZZ     ?= build-fuzz
DEB      ?= build-deb
FUZZ_SECONDS ?= 20
# -Werror in CI (CI=true), plain warnings on developer machines.
WERROR   := $(if $(filter true 1 yes,$(CI)),true,false)
MESON_OPTS ?=

.PHONY: all build check test fuzz deb bench run clean

all: build

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=$(WERROR) $(MESON_OPTS)

build: $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# rmcp doctor on this machine; without an AMD GPU, also on the demo snapshot of an RX 5600 XT
# (examples/, assembled with clang into $(BUILD)/examples). The doctor's verdict (exit 0, 1 or 3)
# is the answer, not a failure; 2 and 4 are.
run:
	@scripts/install-deps.sh build
	@$(MAKE) --no-print-directory $(BUILD)/build.ninja
	meson compile -C $(BUILD) rmcp:executable
	@echo '$$ rmcp doctor'; rc=0; $(BUILD)/rmcp doctor || rc=$$?; \
	 case $$rc in 0|1|3) ;; *) exit $$rc ;; esac; \
	 if ! grep -qsix 0x1002 /sys/bus/pci/devices/*/vendor; then \
	   echo; echo "make run: this machine has no AMD GPU. Here is rmcp doctor on the demo snapshot"; \
	   echo "of an RX 5600 XT with ROCm 6.2.4 and the official PyTorch 2.5.1+rocm6.2 wheel (examples/README.md):"; \
	   examples/assemble.sh $(BUILD)/examples || exit $$?; \
	   echo; echo '$$ rmcp doctor --sysroot $(BUILD)/examples/rx5600xt'; rc=0; \
	   $(BUILD)/rmcp doctor --sysroot $(BUILD)/examples/rx5600xt || rc=$$?; \
	   case $$rc in 0|1|3) ;; *) exit $$rc ;; esac; \
	 fi

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

# dpkg-buildpackage + lintian: about 2.5 min wall on a loaded 2-core machine (docs/install.md).
deb:
	scripts/build-deb.sh $(DEB)

check:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory test fuzz deb
	@scripts/test-summary.py $(BUILD) $(FUZZ)

bench: build
	bench/scan.sh $(BUILD)/rmcp
	bench/doctor.sh $(BUILD)/rmcp $(BUILD)

clean:
	rm -rf $(BUILD) $(FUZZ) $(DEB)
