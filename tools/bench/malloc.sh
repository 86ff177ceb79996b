#!/usr/bin/env bash
# The library's malloc policy (src/Runtime/MemoryPolicy.cs) against glibc's own behaviour (LOWRANK_MALLOC=default):
# `lowrank bench train` on the same models, the two arms alternated ROUNDS times (this machine's speed drifts from
# minute to minute; alternating pairs each run with a neighbour), then per arm and model the median step time, tokens/s
# and peak resident memory, and the median kernel (system) CPU seconds of a whole run.
# Models: MODEL holds bench-train options (default: its dense and rank-64 width-256 pair), e.g.
#   MODEL='--model Variant=Dense --dim 128 --vocab 256' tools/bench/malloc.sh
# Run it on an otherwise idle machine, from the repository root, after `dotnet build tools/lowrank -c Release`.
set -euo pipefail
L=${L:-tools/lowrank/bin/Release/net10.0/lowrank.dll}
ROUNDS=${ROUNDS:-4}
read -r -a MODEL <<< "${MODEL:-}"
out=$(mktemp -d)
TIMEFORMAT=%S
for ((i = 1; i <= ROUNDS; i++)); do
  for arm in policy default; do
    if [ "$arm" = default ]; then export LOWRANK_MALLOC=default; else unset LOWRANK_MALLOC; fi
    { time dotnet "$L" bench train "${MODEL[@]}" --steps 15 --warmup 3 --csv "$out/$arm-$i.csv" > "$out/$arm-$i.txt"; } 2>> "$out/$arm.sys"
    # One line per run: the arm, what the library reported doing, each model's step ms.
    echo "round $i, $arm ($(grep -h -m 1 'malloc' "$out/$arm-$i.txt" | sed 's/.*malloc: \(.*\)): .*/\1/')): $(tail -n +2 "$out/$arm-$i.csv" | awk -F, '{ printf "%s%s %.1f ms", (NR > 1 ? "; " : ""), $1, $8 }' | tr -d '"')"
  done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo "| model | malloc | step ms | tokens/s | peak RSS MB | system CPU s per run |"
echo "|---|---|---:|---:|---:|---:|"
models=$(tail -q -n +2 "$out"/policy-*.csv | cut -d, -f1 | sort -u)
while read -r model; do
  for arm in policy default; do
    rows=$(grep -h "^$model," "$out"/$arm-*.csv)
    step=$(cut -d, -f8 <<< "$rows" | median); tps=$(cut -d, -f9 <<< "$rows" | median); rss=$(cut -d, -f11 <<< "$rows" | median)
    sys=$(median < "$out/$arm.sys")
    label=$([ "$arm" = policy ] && echo "library (1 GiB threshold)" || echo "glibc default")
    printf '| %s | %s | %.1f | %.0f | %.0f | %.2f |\n' "${model//\"/}" "$label" "$step" "$tps" "$(awk -v b="$rss" 'BEGIN { print b / 1048576 }')" "$sys"
  done
done <<< "$models"
rm -rf "$out"
