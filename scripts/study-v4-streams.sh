#!/usr/bin/env bash
# Runs study version 4 in the background as the plan says (docs/study/v4/plan.md, "Compute"): two processes of the same
# command, one libtorch thread each, which split every stage's trials by claims; finished trials are skipped, and a trial
# interrupted at the last stop resumes from its checkpoint (at a stop, commit the checkpoints of the trials under way
# with `git add -f docs/study/v4/*/*/checkpoints`, so that a fresh machine resumes them too; a finished trial deletes its
# own). The program runs from a copy of its build, so building the
# tests meanwhile cannot replace its files. Logs: <out>/stream-{a,b}.log.
#   bash scripts/study-v4-streams.sh CORPUS_DIR [OUT_DIR]     e.g. CORPUS_DIR=data/gutenberg (the pinned subset)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: study-v4-streams.sh CORPUS_DIR [OUT_DIR]}
out=${2:-runs/study-v4}
mkdir -p "$out"
dotnet build examples/Study -c Release -nologo -v quiet -o "$out/build"
for s in a b; do
  OMP_NUM_THREADS=1 nohup dotnet "$out/build/Study.dll" --v4 --corpus "$corpus" >> "$out/stream-$s.log" 2>&1 &
  echo "stream $s: pid $!"
done
