#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for N seconds each (default 60), on stable Rust:
# `-s none` (no sanitizer; sanitizers need nightly), with a dictionary and seed inputs per
# target. New corpus entries go to fuzz/corpus/<target>, crashes to fuzz/artifacts/<target>.
# Prints runs, coverage and the CPU seconds each target used; exits non-zero on a crash.
#
#   ./scripts/fuzz.sh [seconds-per-target] [target...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
per_target="${1:-60}"
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build -s none
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="$(mktemp)"
    start_cpu="$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)"
    status=0
    cargo fuzz run -s none "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$per_target" -dict="dict/$target.dict" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    end_cpu="$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)"
    ticks="$(getconf CLK_TCK)"
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
    cpu="$(awk -v a="$start_cpu" -v b="$end_cpu" -v t="$ticks" 'BEGIN{printf "%.0f", (b-a)/t}')"
    echo "$target: ${runs} runs, ${cov:-cov: ?}, ${cpu} CPU s, exit ${status}"
    if [ "$status" -ne 0 ]; then
        grep -E 'panicked|ERROR|Test unit written' "$log" || tail -20 "$log"
        exit "$status"
    fi
    rm -f "$log"
done
