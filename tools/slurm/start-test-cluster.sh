#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine for the tests (slurmctld + slurmd + munged), with
# process tracking that needs no cgroups (proctrack/linuxproc, task/none). Idempotent: a cluster this
# script started and that still answers is left as it is. Prints the SLURM_CONF to export.
#   tools/slurm/start-test-cluster.sh          start (needs root, slurm-wlm and munge installed)
#   tools/slurm/start-test-cluster.sh --stop   cancel every job, stop the daemons it started
# State lives under $CLINFORGE_SLURM_DIR (default /tmp/clinforge-slurm); the tests find the cluster
# through $CLINFORGE_SLURM_DIR/slurm.conf.
set -euo pipefail
dir=${CLINFORGE_SLURM_DIR:-/tmp/clinforge-slurm}
conf=$dir/slurm.conf
export SLURM_CONF=$conf

stop() {
  [ -f "$conf" ] && scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  for d in slurmd slurmctld; do
    # Only the daemon this script started (a pid file can outlive its process and the pid be reused).
    if [ -f "$dir/$d.pid" ]; then
      pid=$(cat "$dir/$d.pid")
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$d" ] && kill "$pid" 2>/dev/null || true
      rm -f "$dir/$d.pid"
    fi
  done
}

if [ "${1:-}" = "--stop" ]; then stop; echo "test cluster stopped"; exit 0; fi

for tool in slurmctld slurmd munged sbatch squeue scontrol; do
  command -v "$tool" >/dev/null 2>&1 || { echo "slurm test cluster: '$tool' not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "slurm test cluster: needs root (the daemons run as root here)" >&2; exit 1; }

# Already up? (a second call, e.g. from a test, changes nothing)
if [ -f "$conf" ] && timeout 10 sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
  echo "export SLURM_CONF=$conf"; exit 0
fi
stop
mkdir -p "$dir/state" "$dir/spool" "$dir/log"

# munge: the package ships a key; make one if it is missing, then start the daemon as root.
if ! pgrep -x munged >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown root:root /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  munged --force
fi

host=$(hostname -s)
# The node as slurmd sees it (real CPUs and memory), less 1 GiB of memory for the system.
node=$(slurmd -C | head -1)
mem=$(echo "$node" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
node=$(echo "$node" | sed "s/RealMemory=[0-9]*/RealMemory=$((mem > 2048 ? mem - 1024 : mem))/")
cat > "$conf" <<CONF
# Written by tools/slurm/start-test-cluster.sh: a one-node cluster for tests, no cgroups, no accounting daemon.
ClusterName=clinforge-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
MpiDefault=none
ReturnToService=2
# Short waits so that time limits and cancellations act within seconds in tests.
KillWait=5
MinJobAge=600
InactiveLimit=0
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# -c: start without the jobs of an earlier cluster (a test cluster keeps nothing across restarts).
slurmctld -c -f "$conf"
slurmd -f "$conf"
for _ in $(seq 1 30); do
  if timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
    echo "export SLURM_CONF=$conf"; exit 0
  fi
  sleep 1
done
echo "slurm test cluster: the node did not come up; see $dir/log/" >&2
exit 1
