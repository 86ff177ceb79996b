#!/usr/bin/env bash
# Writes this folder's fixtures with the build of the commit it is run at (README.md says which): the model, checkpoint
# and export through the library (make.cs), the run directory through `lowrank sweep` on sweep.json.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf rundir model.zip export.safetensors export.json checkpoint-step3.ckpt expected.json
dotnet run make.cs
dotnet build ../../../tools/lowrank -c Release -nologo -v quiet -o /tmp/lowrank-fixture-build
dotnet /tmp/lowrank-fixture-build/lowrank.dll sweep --config sweep.json --run-dir rundir
rm -rf rundir/claims rundir/checkpoints
