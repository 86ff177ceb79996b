#!/usr/bin/env bash
# Data-parallel against one process on this machine: tokens/s of `lowrank train` as one process with two libtorch
# threads, and as two MPI ranks of one thread each (mpirun -n 2), at the study's shape (width 64, depth 4, bytes,
# 16 × 256 tokens a step) and at width 256; the ranks' log line gives the all-reduce's share of the training time.
# Run with nothing else running: bash docs/perf/bench-dataparallel.sh > docs/perf/bench-dataparallel.log
set -euo pipefail
cd "$(dirname "$0")/../.."
L=tools/lowrank/bin/Release/net10.0/lowrank.dll
for shape in "ModelDim=64 HeadDim=32 Depth=4" "ModelDim=256 HeadDim=64 Depth=4"; do
  COMMON="--corpus brown --tokenizer bytes --steps 80 --eval-every 0 --validation-fraction 0 --set $shape SequenceLength=256 BatchSize=16"
  for repeat in 1 2; do
    echo "## $shape — one process, two threads (run $repeat)"
    OMP_NUM_THREADS=2 dotnet $L train $COMMON | grep -E "^RESULT" | grep -oE "tokens_per_s=[0-9]+"
    echo "## $shape — two ranks, one thread each (run $repeat)"
    mpirun --allow-run-as-root -n 2 -x OMP_NUM_THREADS=1 dotnet $L train $COMMON | grep -E "^RESULT|all-reduce took" | grep -oE "tokens_per_s=[0-9]+|all-reduce took.*"
  done
done
