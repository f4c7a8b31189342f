#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, starting from the seeds in
# fuzz/seeds/<target>/ (the working corpus grows in fuzz/corpus/, not kept).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]     (default 60 s, all targets)
#
# FUZZ_PROFILE=dev builds the targets unoptimised (cargo fuzz --dev): they
# build in a fraction of the time and run some ten times slower — what a
# short smoke run in CI wants (./test); the default is cargo-fuzz's
# optimised build, for real fuzzing.
#
# Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# Prints each target's executions; a crash, hang (>10 s per input) or an input
# needing more than 2 GiB stops that target and leaves the input in
# fuzz/artifacts/<target>/, and the script exits non-zero.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
profile=()
if [ "${FUZZ_PROFILE:-}" = dev ]; then
  profile=(--dev)
fi
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build "${profile[@]}" >/dev/null
status=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
  log=$(mktemp)
  if cargo +nightly fuzz run "${profile[@]}" "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "$target: $result, ${runs:-?} executions in ${seconds} s"
  if [ "$result" != ok ]; then tail -n 40 "$log"; fi
  rm -f "$log"
done
exit $status
