#!/usr/bin/env bash
# Scale benchmark of `lithomech mesh` (read + phases + particles + stats + write), whole-command
# wall time and peak RSS (GNU time), median of N runs. Not part of `npm test`.
#
#   bash tests/bench/mesh-scale.sh [runs=3] [--512]
#
# Inputs: a 256³ crop-equivalent of the real NREL volume (256×256×251), a synthetic 256³ sphere
# pack generated here, and with --512 a synthetic 512³ pack (one run).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
BIG=${2:-}
BIN="node bin/lithomech.js"
TMP=$(mktemp -d /tmp/lithomech-bench-XXXX)
trap 'rm -rf "$TMP"' EXIT
NREL=../shared/data/tomography/nrel-nmc1cal-bridge-cbd.tif
PHASES="0=pore:electrolyte,1=NMC:active,2=CBD:cbd"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench() { # name, runs, command...
  local name=$1 runs=$2; shift 2
  local times=() rss=()
  for ((i = 0; i < runs; i++)); do
    rm -rf "$TMP/out"
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" --out "$TMP/out" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
    read -r t m < "$TMP/time"
    times+=("$t"); rss+=("$m")
  done
  local tm rm
  tm=$(printf '%s\n' "${times[@]}" | median)
  rm=$(printf '%s\n' "${rss[@]}" | median)
  printf '| %s | %s | %s | %.2f | (%s) |\n' "$name" "$(jq -r '.shape|join("×")' "$TMP/out/stats.json" 2>/dev/null || echo '?')" "$tm" "$(echo "$rm / 1048576" | bc -l)" "${times[*]}"
}

command -v jq > /dev/null || { echo "needs jq (apt-get install jq)"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(node --version), $(date -u +%F)"
echo
echo "| input | shape | median wall [s] | median peak RSS [GiB] | runs [s] |"
echo "|---|---|---|---|---|"
bench "NREL NMC-1-cal crop (real)" "$RUNS" $BIN mesh "$NREL" --phases "$PHASES" --voxel-size 0.398um --crop 0:256,0:256,:
$BIN generate spheres --shape 256 --voxel-size 0.4um --active-fraction 0.5 --cbd-fraction 0.1 --radius 2.5um --seed 1 --out "$TMP/gen256" > /dev/null 2>&1
bench "synthetic sphere pack 256³" "$RUNS" $BIN mesh "$TMP/gen256/rve.vti"
if [ "$BIG" = "--512" ]; then
  $BIN generate spheres --shape 512 --voxel-size 0.4um --active-fraction 0.5 --cbd-fraction 0.1 --radius 2.5um --seed 1 --out "$TMP/gen512" > /dev/null 2>&1
  bench "synthetic sphere pack 512³" 1 $BIN mesh "$TMP/gen512/rve.vti"
fi
