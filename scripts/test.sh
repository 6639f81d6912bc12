#!/usr/bin/env bash
# Installs what is missing, builds, runs every test, prints ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh
build_dir=${BUILD_DIR:-build}
cd "$build_dir"
ctest --output-on-failure --parallel "${JOBS:-$(nproc)}" --timeout 900 ${CTEST_ARGS:-}
