#!/usr/bin/env bash
# Instructions per decision (callgrind), free of start-up and seeding: bench/decide-loop.ts
# run twice, with N1 and N2 requests; (I2 - I1) / (N2 - N1). Repeats within about a percent
# on a machine others are using, where wall-clock A/B comparisons do not.
#   bench/instructions.sh [memory|redis] [N1] [N2]     (redis: a redis-server on 127.0.0.1:6379 or $REDIS_URL)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-memory}; n1=${2:-1000}; n2=${3:-11000}
tmp=$(mktemp -d)
count() {
  valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$tmp/cg.$1" \
    node --import tsx bench/decide-loop.ts --mode="$mode" --n="$1" --redis="${REDIS_URL:-redis://127.0.0.1:6379}" 2>"$tmp/err.$1" >"$tmp/out.$1" || { cat "$tmp/err.$1" >&2; exit 1; }
  grep -oP '(?<=refs:)\s*[\d,]+' "$tmp/err.$1" | tr -d ', '
}
i1=$(count "$n1"); i2=$(count "$n2")
echo "$mode: $(( (i2 - i1) / (n2 - n1) )) instructions per decision ($n1 → $n2 requests: $i1 → $i2)"
rm -rf "$tmp"
