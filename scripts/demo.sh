#!/usr/bin/env bash
# Installs what is missing, builds, makes the default fixture and runs the main job on it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh
nhbridge=${BUILD_DIR:-build}/nhbridge
out=${DEMO_DIR:-demo-output}
mkdir -p "$out"

echo "== making the default fixture (MoE preset) in $out/hf"
rm -rf "$out/hf"
"$nhbridge" fixture --preset moe --out "$out/hf"

echo "== inspecting it"
"$nhbridge" inspect "$out/hf" | tee "$out/inspect.txt" | tail -n 20

echo "== config round trip HF -> Megatron -> HF"
"$nhbridge" config "$out/hf" --roundtrip | tee "$out/config-roundtrip.txt"

echo
echo "demo: outputs are in $(cd "$out" && pwd): hf/ (fixture), inspect.txt, config-roundtrip.txt"
