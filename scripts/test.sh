#!/usr/bin/env bash
# Installs what is missing, builds, runs every test, prints ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

# SANITIZE=1: the whole suite built with AddressSanitizer + UndefinedBehaviorSanitizer (NHB_SANITIZE)
# in its own build directory; any report fails the test that triggered it. CI runs the bridge part:
#   SANITIZE=1 BUILD_DIR=build-asan-bridge CTEST_ARGS="-L bridge" \
#     CMAKE_ARGS="-DNHB_BUILD_HARNESS=OFF -DNHB_BUILD_BENCHMARKS=OFF" scripts/test.sh
if [[ ${SANITIZE:-0} == 1 ]]; then
  export BUILD_DIR=${BUILD_DIR:-build-asan}
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if [[ -f $BUILD_DIR/CMakeCache.txt ]] && ! grep -q '^NHB_SANITIZE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
    echo "test.sh: $BUILD_DIR was configured without NHB_SANITIZE; remove it or pick another BUILD_DIR" >&2
    exit 2
  fi
fi

scripts/setup.sh
scripts/build.sh
build_dir=${BUILD_DIR:-build}
cd "$build_dir"
ctest --output-on-failure --parallel "${JOBS:-$(nproc)}" --timeout 900 ${CTEST_ARGS:-}
