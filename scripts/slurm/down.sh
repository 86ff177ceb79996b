#!/usr/bin/env bash
# Stops exactly the daemons up.sh started (by the pids it recorded in SCRATCH_DIR/run).
set -u
scratch=$(realpath -m "${1:?usage: down.sh SCRATCH_DIR}")
for name in slurmd slurmctld munged; do
  f="$scratch/run/$name.pid"
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
done
exit 0
