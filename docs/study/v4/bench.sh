#!/usr/bin/env bash
# Version 4's quiet benchmark (docs/study/v4/plan.md, "Compute"): every shape of the plan at one libtorch thread, three
# times each, first alone, then as two processes at once (the study's two streams). Run it with nothing else running:
#   bash docs/study/v4/bench.sh   (after dotnet build tools/lowrank -c Release)
set -euo pipefail
cd "$(dirname "$0")/../../.."
L=tools/lowrank/bin/Release/net10.0/lowrank.dll
out=docs/study/v4
shapes=("Variant=Dense;HeadDim=32"
        "Variant=Factored;AttentionRank=16;MlpRank=26;Depth=8;HeadDim=32"
        "Variant=Factored;AttentionRank=32;MlpRank=51;HeadDim=32"
        "Variant=Factored;AttentionRank=8;MlpRank=13;Depth=16;HeadDim=32")
models=()
for s in "${shapes[@]}"; do models+=(--model "$s" --model "$s" --model "$s"); done
bench() { dotnet $L bench train --dim 64 --depth 4 --vocab 257 --seq 256 --batch 16 --steps 20 --warmup 3 --threads 1 "$@"; }
echo "## One process, one thread"
bench "${models[@]}" --csv $out/bench-alone.csv
echo "## Two processes at once, one thread each (stream A, then stream B)"
bench "${models[@]}" --csv $out/bench-pair-a.csv > $out/bench-pair-a.md &
bench "${models[@]}" --csv $out/bench-pair-b.csv > $out/bench-pair-b.md
wait
cat $out/bench-pair-a.md $out/bench-pair-b.md
