#!/usr/bin/env bash
# Runs tests/bench/elasticity-scale.mjs over cases × preconditioners, one process per run, with
# GNU time for the whole-process wall time and peak RSS; RUNS runs of each case (median reported by
# the caller), or 1 when a run takes longer than 30 s. Output: one JSON line per run, with
# "wall_s" and "rss_MiB" added. Needs the build (npm run build) and jq.
#   bash tests/bench/elasticity-scale.sh [runs=3] "solid-32:gmg solid-32:amg ..."
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
CASES=${2:?usage: elasticity-scale.sh [runs] "case:pre ..."}
TMP=$(mktemp -d /tmp/lithomech-elastic-bench-XXXX)
trap 'rm -rf "$TMP"' EXIT
for cp in $CASES; do
  c=${cp%%:*} p=${cp##*:}
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f "%e %M" -o "$TMP/time" node tests/bench/elasticity-scale.mjs "$c" "$p" > "$TMP/out" 2> "$TMP/err" || { echo "{\"case\":\"$c\",\"preconditioner\":\"$p\",\"error\":$(tail -c 300 "$TMP/err" | jq -Rs .)}"; break; }
    read -r t m < "$TMP/time"
    jq -c --argjson w "$t" --argjson r "$m" '. + {wall_s: $w, rss_MiB: ($r / 1024 | floor)}' "$TMP/out"
    if (( $(echo "$t > 30" | bc -l) )); then break; fi
  done
done
