#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) into build-fuzz and runs one of them.
#   scripts/fuzz.sh --list              the target names
#   scripts/fuzz.sh TARGET SECONDS      fuzz TARGET for SECONDS with corpus build-fuzz/corpus/TARGET
# The corpus starts from seeds cut from `nhbridge fixture` checkpoints plus the hand-made fuzz/seeds/TARGET and
# the replayed findings fuzz/regressions/TARGET. A finding is written to build-fuzz/findings/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(safetensors_header safetensors_index config_translate hybrid_pattern pickle_reader torch_zip
         tokenizer_json)

usage() { echo "usage: scripts/fuzz.sh --list | TARGET SECONDS" >&2; exit 2; }

if [[ ${1:-} == --list ]]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
[[ $# -eq 2 ]] || usage
target=$1 seconds=$2
[[ " ${targets[*]} " == *" $target "* ]] || { echo "fuzz.sh: unknown target '$target' (see --list)" >&2; exit 2; }
[[ $seconds =~ ^[0-9]+$ ]] || usage

NHB_FUZZ=1 scripts/setup.sh
build=build-fuzz
if [[ ! -f $build/build.ninja ]]; then
  CXX=clang++ CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=FuzzO1 -DCMAKE_CXX_FLAGS_FUZZO1="-O1 -gline-tables-only" \
    -DNHB_FUZZ=ON -DNHB_BUILD_HARNESS=OFF -DNHB_BUILD_TESTS=OFF -DNHB_BUILD_BENCHMARKS=OFF >/dev/null
fi
ninja -C "$build" -j"${JOBS:-$(nproc)}" "fuzz_$target" nhb_fuzz_make_seeds

# Seeds from the fixtures: `nhbridge fixture` (NHBRIDGE, default build/nhbridge) writes one
# checkpoint per preset once; nhb_fuzz_make_seeds cuts them into inputs for every target.
corpus=$build/corpus/$target
if [[ ! -d $corpus ]]; then
  mkdir -p "$build/corpus"
  nhbridge=${NHBRIDGE:-build/nhbridge}
  if [[ -x $nhbridge ]]; then
    mkdir -p "$build/fixtures"
    fixtures=()
    for preset in dense moe moe-grouped latent-moe-mtp; do
      [[ -d $build/fixtures/$preset ]] || "$nhbridge" fixture --preset "$preset" --out "$build/fixtures/$preset" >/dev/null
      fixtures+=("$build/fixtures/$preset")
    done
    "$build/fuzz/nhb_fuzz_make_seeds" "$build/corpus" "${fixtures[@]}"
  else
    echo "fuzz.sh: no nhbridge at $nhbridge (set NHBRIDGE or run scripts/build.sh): hand-made seeds only" >&2
  fi
  mkdir -p "$corpus"
fi
for extra in fuzz/seeds/$target fuzz/regressions/$target; do
  [[ -d $extra ]] && cp -n "$extra"/* "$corpus"/ 2>/dev/null || true
done

findings=$build/findings/$target
mkdir -p "$findings"
log=$build/fuzz-$target.log
set +e
"$build/fuzz/fuzz_$target" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -max_len=65536 -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1
rc=$?
set -e
execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
echo "fuzz.sh: $target ran ${seconds}s: ${execs:-?} executions, corpus $(ls "$corpus" | wc -l) inputs, exit $rc"
if ((rc != 0)); then
  echo "fuzz.sh: FINDING in $target (log $log, input under $findings/):" >&2
  grep -E 'ERROR|SUMMARY|fuzz finding|runtime error' "$log" | head -20 >&2
fi
exit $rc
