# dnspush: the two commands for a fresh Debian 12 machine are `make run` and `make test`.
#
#   make run      install packages, build build/, run dnspushd with examples/dnspushd.toml
#   make test     install packages, build build/, run every unit and integration test
#   make asan     build build-asan/ with ASan+UBSan and run the unit tests
#   make asan-integration   then the integration tests against the sanitized dnspushd
#   make fuzz     build the libFuzzer targets with clang-14 in build-fuzz/ and run each one
#                 over its corpus for FUZZ_SECONDS seconds
#   make bench    Google Benchmark micro-benchmarks, then dnsperf against dnspushd and knotd
#   make format   clang-format every C++ file
#   make deb      build the Debian package (cpack) from build/: $(BUILD)/dnspushd_*.deb

NPROC        := $(shell nproc 2>/dev/null || echo 2)
BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
BUILD_TYPE   ?= RelWithDebInfo
FUZZ_SECONDS ?= 60
# Warnings are errors here and in CI (.ci/run uses make); plain `cmake` leaves them
# warnings (DNSPUSH_WERROR, off by default for packagers and newer compilers).
WERROR       ?= ON
BENCH        ?= OFF
CMAKE_FLAGS  ?=
CTEST_FLAGS  ?=

FUZZERS      := $(patsubst fuzz/%.cpp,%,$(wildcard fuzz/fuzz_*.cpp))
CXX_SOURCES   = $(shell find src apps tests fuzz bench -name '*.cpp' -o -name '*.hpp' 2>/dev/null)

.PHONY: all deps configure build run deb test unit integration asan-build asan asan-integration fuzz bench format \
        format-check clean

all: build

deps:
	scripts/install-deps.sh

# Benchmarks are built by `make bench` only: `make run` and `make test` need none of them.
$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DDNSPUSH_WERROR=$(WERROR) \
	  -DDNSPUSH_BENCH=$(BENCH) $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j$(NPROC)

# Only what it runs: not the tests and benchmarks.
run: configure
	cmake --build $(BUILD) -j$(NPROC) --target dnspushd
	$(BUILD)/bin/dnspushd --config examples/dnspushd.toml

# Only the three installed programs, then the package (cmake/packaging.cmake).
deb: configure
	cmake --build $(BUILD) -j$(NPROC) --target dnspushd dnspush dnspushctl
	cd $(BUILD) && cpack -G DEB

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(NPROC) $(CTEST_FLAGS)

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(NPROC) -LE integration $(CTEST_FLAGS)

integration: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(NPROC) -L integration $(CTEST_FLAGS)

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (any report fails).
asan-build: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDNSPUSH_SANITIZE=ON \
	  -DDNSPUSH_BENCH=OFF -DDNSPUSH_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j$(NPROC)

asan: asan-build
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(NPROC) -LE integration $(CTEST_FLAGS)

# The integration tests against the sanitized dnspushd: hostile packets, TLS and shutdown
# under ASan+UBSan; a report makes the server exit non-zero and the test fail.
asan-integration: asan-build
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(NPROC) -L integration $(CTEST_FLAGS)

# Each fuzzer runs over a scratch copy of what it finds plus the checked-in seeds
# (fuzz/corpus/<name>/, <name> with or without the fuzz_ prefix); crashes are written to
# $(FUZZ_BUILD)/crashes/ and fail the target.
fuzz: deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDNSPUSH_FUZZ=ON -DDNSPUSH_BENCH=OFF -DDNSPUSH_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j$(NPROC) --target $(FUZZERS)
	@mkdir -p $(FUZZ_BUILD)/crashes
	@set -e; for f in $(FUZZERS); do \
	  seeds=fuzz/corpus/$$f; [ -d $$seeds ] || seeds=fuzz/corpus/$${f#fuzz_}; \
	  [ -d $$seeds ] || { echo "no corpus for $$f (fuzz/corpus/$$f or fuzz/corpus/$${f#fuzz_})"; exit 1; }; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$f; \
	  echo "== $$f: $(FUZZ_SECONDS) s over $$seeds"; \
	  $(FUZZ_BUILD)/bin/$$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crashes/$$f- \
	    $(FUZZ_BUILD)/corpus/$$f $$seeds; \
	done

bench: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DDNSPUSH_BENCH=ON -DDNSPUSH_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(NPROC)
	@set -e; for b in $(BUILD)/bin/bench_*; do \
	  [ -x $$b ] || continue; echo "== $$b"; $$b --benchmark_min_time=0.5; \
	done
	DNSPUSH_BIN=$(BUILD)/bin bench/run_dnsperf.sh

format:
	clang-format -i $(CXX_SOURCES)

format-check:
	clang-format --dry-run -Werror $(CXX_SOURCES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
