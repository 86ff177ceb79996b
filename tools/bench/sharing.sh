#!/usr/bin/env bash
# Two training processes sharing this machine's cores: `lowrank bench train` (dense, width 256, depth 4, vocab 4096,
# seq 256, batch 8) alone, then two copies started together; prints each copy's tokens/s and its share of the solo
# figure. Extra environment for all three runs goes before the script, e.g. to reproduce libgomp's own default wait
# policy (spin 300,000 iterations, the behaviour before Runtime/ThreadPolicy.cs):  GOMP_SPINCOUNT=300000 tools/bench/sharing.sh
# Run it on an otherwise idle machine, from the repository root, after `dotnet build tools/lowrank -c Release`.
set -euo pipefail
L=${L:-tools/lowrank/bin/Release/net10.0/lowrank.dll}
ARGS=(bench train --model Variant=Dense --steps 20 --warmup 3)
out=$(mktemp -d)
tps() { grep '^| Variant=Dense' "$1" | awk -F'|' '{gsub(/[ ,]/, "", $10); print $10}'; }
dotnet "$L" "${ARGS[@]}" --csv "$out/solo.csv" > "$out/solo.txt"
grep '^peak' "$out/solo.txt"
dotnet "$L" "${ARGS[@]}" --csv "$out/a.csv" > "$out/a.txt" &
dotnet "$L" "${ARGS[@]}" --csv "$out/b.csv" > "$out/b.txt"
wait
solo=$(tps "$out/solo.txt"); a=$(tps "$out/a.txt"); b=$(tps "$out/b.txt")
echo "solo: $solo tokens/s"
awk -v s="$solo" -v a="$a" -v b="$b" 'BEGIN { printf "together: %d and %d tokens/s = %.1f %% and %.1f %% of solo (%.1f %% of the machine in total)\n", a, b, 100*a/s, 100*b/s, 100*(a+b)/s }'
rm -rf "$out"
