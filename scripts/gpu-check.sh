#!/usr/bin/env bash
# On a machine with a CUDA GPU: builds nhbridge against a CUDA libtorch (CLI only: tests and
# benchmarks off, so GoogleTest / Google Benchmark are not needed), makes each preset fixture in
# fp32, runs `nhbridge forward` on cuda and on cpu in both layouts (HF, and Megatron tp 2 / pp 2 /
# ep 2 where the preset has experts) and compares the logits. Prints the max abs diff of each pair
# and exits non-zero when one exceeds the tolerance.
#
# Needs: cmake >= 3.18, a C++17 compiler, ninja (or make), the nlohmann_json and CLI11 headers
# with their CMake configs (Debian: nlohmann-json3-dev, libcli11-dev), a CUDA libtorch and the
# CUDA toolkit its TorchConfig.cmake asks for (nvcc + headers), python3 (numpy not needed) to
# compare. No network access is needed.
#
# Environment:
#   NHB_TORCH_PREFIX  the libtorch CMake prefix; default: python3 -c 'import torch;
#                     print(torch.utils.cmake_prefix_path)'
#   NHB_GPU_BUILD     build directory (default build-gpu)
#   NHB_GPU_TOL       relative tolerance, max|cuda - cpu| <= tol * max|cpu| (default 1e-4: TF32 and
#                     a different reduction order on the GPU; the fp32 matmuls are run without TF32)
#   NHB_GPU_DTYPES    dtypes to run (default "float32 bfloat16"; bf16 is judged on the median
#                     abs diff against NHB_GPU_TOL_BF16, default 2e-2)
#   NHB_GPU_PRESETS   presets to check (default "dense moe moe-grouped latent-moe-mtp")
#   NHB_GPU_CLI       use this nhbridge binary instead of building one (skips cmake)
#   NHB_GPU_DEVICE    the device compared with cpu (default cuda; "cpu" dry-runs the script anywhere)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NHB_GPU_BUILD:-$root/build-gpu}"
tol="${NHB_GPU_TOL:-1e-4}"
tol_bf16="${NHB_GPU_TOL_BF16:-2e-2}"
dtypes="${NHB_GPU_DTYPES:-float32 bfloat16}"

gpu="${NHB_GPU_DEVICE:-cuda}"
cli="${NHB_GPU_CLI:-}"
if [[ -z "$cli" ]]; then
  prefix="${NHB_TORCH_PREFIX:-}"
  if [[ -z "$prefix" ]]; then
    prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)"
  fi
  if [[ -z "$prefix" ]]; then
    echo "gpu-check: no CUDA libtorch found: set NHB_TORCH_PREFIX or install python torch with CUDA" >&2
    exit 2
  fi
  echo "gpu-check: libtorch prefix $prefix"
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DNHB_BUILD_TESTS=OFF -DNHB_BUILD_BENCHMARKS=OFF
  cmake --build "$build" --target nhbridge -j "$(nproc)"
  cli="$build/nhbridge"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '5 17 300 2 41 77 9 250 3 60 61 62 63 64 65 66 67 68 69 70\n11 12 13 499 1 8\n' >"$work/tokens.txt"

# compare A B TOL NAME [max|median]: prints the max (and median) abs diff of every tensor named
# *logits*; fails when the chosen statistic exceeds tol * max|A|.
compare() {
  python3 - "$1" "$2" "$3" "$4" "${5:-max}" <<'PY'
import json, struct, sys, array
def load(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == '__metadata__' or e['dtype'] != 'F32':
            continue
        a, b = e['data_offsets']
        values = array.array('f'); values.frombytes(data[a:b]); out[name] = values
    return out
x, y, tol, label = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
mode = sys.argv[5] if len(sys.argv) > 5 else 'max'
ok = True
for name in sorted(k for k in x if 'logits' in k):
    if name not in y:
        print(f'{label}: {name} missing'); ok = False; continue
    diffs = sorted(abs(p - q) for p, q in zip(x[name], y[name]))
    diff, median = diffs[-1], diffs[len(diffs) // 2]
    scale = max(max(abs(p) for p in x[name]), 1e-6)
    # bf16 MoE: a near-tie router score may pick another expert for a token (an O(1) change of
    # that token's logits), so bf16 is judged on the median error; fp32 on the worst.
    judged = median if mode == 'median' else diff
    verdict = 'ok' if judged <= tol * scale else 'FAIL'
    ok = ok and judged <= tol * scale
    print(f'{label}: {name}: max abs diff {diff:.3g}, median {median:.3g} (max |ref| {scale:.3g}, {mode} tol {tol:g}) {verdict}')
sys.exit(0 if ok else 1)
PY
}

status=0
for preset in ${NHB_GPU_PRESETS:-dense moe moe-grouped latent-moe-mtp}; do
  "$cli" fixture --preset "$preset" --dtype f32 --out "$work/hf-$preset" >/dev/null
  ep=2; [[ "$preset" == dense ]] && ep=1
  "$cli" convert hf-to-megatron --hf "$work/hf-$preset" --out "$work/mcore-$preset" --tp 2 --pp 2 --ep "$ep" >/dev/null
  for layout in hf megatron; do
    dir="$work/hf-$preset"; [[ "$layout" == megatron ]] && dir="$work/mcore-$preset"
    for dtype in $dtypes; do
      for device in cpu "$gpu"; do
        start=$(date +%s%N)
        "$cli" forward --checkpoint "$dir" --layout "$layout" --tokens-file "$work/tokens.txt" \
          --device "$device" --dtype "$dtype" --overwrite --out "$work/$preset-$layout-$dtype-$device.safetensors" >/dev/null
        echo "$preset $layout $dtype $device: forward process took $(( ($(date +%s%N) - start) / 1000000 )) ms"
      done
      t="$tol"; mode=max; [[ "$dtype" == bfloat16 ]] && t="$tol_bf16" && mode=median
      compare "$work/$preset-$layout-$dtype-cpu.safetensors" "$work/$preset-$layout-$dtype-$gpu.safetensors" "$t" \
        "$preset $layout $dtype $gpu vs cpu" "$mode" || status=1
    done
  done
  # The two layouts on the GPU, fp32.
  if [[ " $dtypes " == *" float32 "* ]]; then
    compare "$work/$preset-hf-float32-$gpu.safetensors" "$work/$preset-megatron-float32-$gpu.safetensors" "$tol" \
      "$preset $gpu hf vs megatron" || status=1
  fi
done
if [[ $status -ne 0 ]]; then echo "gpu-check: FAILED" >&2; else echo "gpu-check: all within tolerance"; fi
exit $status
