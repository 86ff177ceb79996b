#!/usr/bin/env bash
# Brings up a one-node Slurm cluster on this machine for tests (design.md, "A real Slurm on one machine").
# Installs Debian's slurmctld, slurmd, slurm-client and munge when missing (needs root), writes the configuration into
# a scratch folder, starts munged, slurmctld and slurmd, waits until the node is idle, and records the daemons' pids so
# that down.sh stops exactly these. Usage: up.sh SCRATCH_DIR   (then: export SLURM_CONF=SCRATCH_DIR/slurm.conf)
# Exit codes: 0 up; 2 cannot be done here (not root / packages not installable) — the caller reports a skip; 1 failed.
set -euo pipefail
scratch=$(realpath -m "${1:?usage: up.sh SCRATCH_DIR}")
mkdir -p "$scratch"/{state,spool,log,run}
chmod a+rx "$scratch"   # munged runs as the munge user and keeps its socket below this folder

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "SKIP: Slurm is not installed and installing it needs root."; exit 2; fi
  echo "Installing slurmctld slurmd slurm-client munge ..."
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge; } >"$scratch/log/apt.log" 2>&1; then
    echo "SKIP: could not install Slurm packages (see $scratch/log/apt.log):"; tail -5 "$scratch/log/apt.log"; exit 2
  fi
fi
if [ "$(id -u)" != 0 ]; then echo "SKIP: starting munged and slurmd as this test does needs root."; exit 2; fi

# munge: a key readable only by the munge user; its own socket and pid file in the scratch folder.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
install -d -o munge -g munge "$scratch/munge"
socket="$scratch/munge/munge.socket"
runuser -u munge -- /usr/sbin/munged --socket="$socket" --pid-file="$scratch/munge/munged.pid" \
  --log-file="$scratch/munge/munged.log" --seed-file="$scratch/munge/munged.seed" --force
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
cat "$scratch/munge/munged.pid" > "$scratch/run/munged.pid"

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2/1024) - 1024}' /proc/meminfo)
cat > "$scratch/slurm.conf" <<CONF
ClusterName=lowrank-test
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/run/slurmctld.pid
SlurmdPidFile=$scratch/run/slurmd.pid
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$scratch/slurm.conf"

/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
  case "$state" in idle*) echo "Slurm is up: node $host $state, $cpus CPUs, config $SLURM_CONF"; exit 0;; esac
  sleep 0.3
done
echo "Slurm did not become idle in 30 s (node state: '${state:-none}'). Logs:"; tail -20 "$scratch/log/slurmctld.log" "$scratch/log/slurmd.log" 2>/dev/null || true
exit 1
