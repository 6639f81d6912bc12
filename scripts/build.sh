#!/usr/bin/env bash
# Configures and builds nhbridge into ${BUILD_DIR:-build} (Release, Ninja when available).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
extra=()
# Sanitizer builds: -O1 keeps the instrumented code fast enough, -g1 (line tables only) gives
# sanitizer reports file:line at a fraction of full debug info's compile time.
[[ ${SANITIZE:-0} == 1 ]] && extra+=(-DNHB_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
                                      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")

if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  cmake -S . -B "$build_dir" "${generator[@]}" "${extra[@]}" ${CMAKE_ARGS:-}
fi
cmake --build "$build_dir" --parallel "${JOBS:-$(nproc)}" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
