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

echo "== verify: HF -> Megatron (TP=2, PP=2, EP=2) -> HF, weights, config, tokenizer and forward checks"
# Exit 1 (a fidelity check failed) is reported, not fatal, so the demo still says where the reports are.
verify_status=0
"$nhbridge" verify --hf "$out/hf" --tp 2 --pp 2 --ep 2 --report-dir "$out/verify" || verify_status=$?
if [ "$verify_status" -ge 2 ]; then exit "$verify_status"; fi

reports=$(cd "$out/verify" && pwd)
echo
echo "demo: verify reports are in $reports:"
echo "  report.md (pull-request comment), report.html (open in a browser), report.json, junit.xml"
echo "demo: other outputs are in $(cd "$out" && pwd): hf/ (fixture), inspect.txt"
exit "$verify_status"
