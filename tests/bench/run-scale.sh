#!/usr/bin/env bash
# Scale benchmark of `lithomech run`: a 1C charge of a generated NMC811 sphere pack (the
# quick-start recipe: 0.5 µm voxels, ≈40/30/30 vol %, 4-voxel separator) to 4.2 V, at several
# cube sizes N³ (electrode region; the separator adds 4 layers). Whole-command wall time and peak
# RSS (GNU time), median of RUNS runs, bytes per voxel. Not part of `npm test`.
#
#   bash tests/bench/run-scale.sh [runs=1] [sizes="24 32 48 64"]
#   EXTRA_SET='mechanics={"enabled":true}' bash tests/bench/run-scale.sh 1 64   (one extra --set)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-1}
SIZES=${2:-"24 32 48 64"}
TMP=$(mktemp -d /tmp/lithomech-run-bench-XXXX)
trap 'rm -rf "$TMP"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
command -v jq > /dev/null || { echo "needs jq (apt-get install jq)"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(node --version), $(date -u +%F)"
echo
echo "| RVE (voxels) | unknowns | steps | Newton | GMRES its | median wall [s] | peak RSS [MiB] | bytes/voxel | runs [s] |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
  times=() rss=()
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$TMP/out"
    /usr/bin/time -f "%e %M" -o "$TMP/time" node bin/lithomech.js run quick-start --out "$TMP/out" \
      --set "rve.generate.shape=[$n,$n,$n]" --set 'protocol=["Charge at 1C until 4.2 V"]' \
      --set 'output.snapshots={"stepEnds":true}' ${EXTRA_SET:+--set "$EXTRA_SET"} > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
    read -r t m < "$TMP/time"
    times+=("$t"); rss+=("$m")
  done
  tm=$(printf '%s\n' "${times[@]}" | median)
  rm=$(printf '%s\n' "${rss[@]}" | median)
  S="$TMP/out/summary.json"
  vox=$(jq '.rve.shape[0]*.rve.shape[1]*.rve.shape[2]' "$S")
  printf '| %s (%s) | %s | %s | %s | %s | %s | %.0f | %.0f | (%s) |\n' "$(jq -r '.rve.shape|join("×")' "$S")" "$vox" \
    "$(jq '.solver.unknowns' "$S")" "$(jq '.solver.steps' "$S")" "$(jq '.solver.newtonIterations' "$S")" "$(jq '.solver.linearIterations' "$S")" \
    "$tm" "$(echo "$rm / 1024" | bc -l)" "$(echo "$rm * 1024 / $vox" | bc -l)" "${times[*]}"
done
