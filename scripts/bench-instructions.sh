#!/usr/bin/env bash
# Instructions per plugin call (fresh store + instance + `authenticate` + drop), counted by
# valgrind instead of timed: the figure does not move with a noisy neighbour on a shared VM,
# so it is the one to compare before and after a change to the request path.
#
#   ./scripts/bench-instructions.sh [SCENARIO]   (default "static-token, on-demand")
#
# Runs the `instantiate` bench twice under callgrind with different iteration counts and
# divides the difference, so loading and compiling the plugin cancel out. User-space
# instructions only: the kernel's share (mmap, page faults) is not counted. The default is
# the on-demand scenario because valgrind does not know the PAGEMAP_SCAN ioctl: under it a
# pooled slot is reset by memsetting its whole resident part, which the real path never
# does, so a pooling scenario's count is inflated by ~25k instructions. Needs valgrind
# (`apt-get install valgrind`).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario="${1:-static-token, on-demand}"
command -v valgrind >/dev/null || { echo "valgrind is not installed: apt-get install valgrind" >&2; exit 1; }
bench=$(cargo bench -p mlauth-tests --bench instantiate --no-run 2>&1 |
  sed -n 's/.*Executable benches\/instantiate.rs (\(.*\))/\1/p' | tail -1)
[ -x "$bench" ] || { echo "could not build the instantiate bench" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {
  # A one-slot pool (the bench makes one call at a time): valgrind cannot reserve the
  # default pool's address space, and mlauth would fall back to on-demand allocation.
  MLAUTH_BENCH_POOL_SLOTS=1 MLAUTH_BENCH_PERCENTILES_ONLY=1 MLAUTH_BENCH_SCENARIO="$scenario" \
    MLAUTH_BENCH_ITERS="$1" valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1" \
    "$bench" --bench >"$out/log.$1" 2>&1
  case "$scenario" in
    *pooling*) if callgrind_annotate "$out/cg.$1" | grep -q OnDemandInstanceAllocator; then
        echo "the pooling allocator did not start under valgrind" >&2; exit 1
      fi ;;
  esac
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log.$1" | sort -n | tail -1
}
low=$(count 2000)
high=$(count 6000)
echo "$scenario: $(( (high - low) / 4000 )) instructions per call (user space, callgrind)"
