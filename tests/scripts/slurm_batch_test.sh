#!/usr/bin/env bash
# scripts/batch_slurm.sh end to end on a real, private, single-node Slurm cluster on localhost:
# its own munged (own key and socket), slurmctld and slurmd (Debian 12's slurm-wlm 22.05), all
# with state, spool, logs and config in a temporary directory, on ports of their own, so a system
# Slurm or munge on the machine is neither used nor disturbed. Submits a 3-shard batch over
# tests/data/voc_tiny with --wait, then checks the shards and the merged CSVs.
#
#   tests/scripts/slurm_batch_test.sh SOURCE_DIR BOREX
#
# Exit 77 (ctest SKIP_RETURN_CODE) when not root or slurm-wlm/munge is not installed
# (scripts/install_slow_test_deps.sh installs them). Takes about 15-30 s.
#
# Pitfalls met bringing Slurm up in a container (Debian 12, no systemd, hostname "vm"):
#  - munged refuses to start when the socket's directory is not searchable by all ("Socket is
#    inaccessible: execute permissions for all required"), and mktemp -d makes 0700: chmod 755.
#    (--force turns that and similar checks into warnings; we pass it too, for odd TMPDIRs.)
#    A private socket needs AuthInfo=socket=PATH in slurm.conf; auth/munge and cred/munge then use
#    it for the daemons, the client commands and slurmstepd alike.
#  - The node is called "localhost" while the hostname is something else ("vm"): slurmd gets
#    `-N localhost` (otherwise it looks for a NodeName matching the hostname).
#  - CPUs/RealMemory in slurm.conf must not exceed what slurmd finds, or Slurm drains the node
#    (documented behaviour, not tried here); we copy them from `slurmd -C`.
#  - ProctrackType=proctrack/linuxproc and TaskPlugin=task/none avoid cgroups (not writable in
#    most containers); JobAcctGatherType=jobacct_gather/none, no accounting storage, so no
#    slurmdbd. Without accounting sacct does not work: batch_slurm.sh --wait polls scontrol.
#  - "mpi/pmix_v4: can not load PMIx library" errors in both logs are harmless (we use no MPI).
#  - Fresh StateSaveLocation: slurmctld logs "Could not open ... state file" errors: harmless.
#  - SLURM_CONF must be exported for sinfo/sbatch/scontrol/scancel; the jobs inherit it.
#  - Slurm does not create the directory of an --output file (documented); the submitter makes
#    OUT/logs first.
#  - SLURM_ARRAY_TASK_COUNT/MIN/MAX are set in 22.05 (checked by batch_slurm.sbatch).
#  - Cleanup: cancel the jobs (slurmstepd outlives slurmd), then `scontrol shutdown` stops
#    slurmctld and slurmd; pids from their pid files as a fallback. The daemons detach, and PID 1
#    in this container reaps slowly, so a stopped daemon stays a zombie for a while: `kill -0`
#    would wait on it; look at /proc/PID/stat instead.
#  - bash runs an INT/TERM trap only after the foreground command ends: long commands run in the
#    background and are waited for (run), so a timeout or Ctrl-C stops the cluster at once.
set -euo pipefail

source_dir=$(readlink -f "$1")
borex=$(readlink -f "$2")

skip() { echo "slurm_batch_test: SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (slurmd must run as root)"
for tool in slurmctld slurmd sbatch sinfo scontrol scancel munged python3; do
  command -v "$tool" >/dev/null ||
    skip "$tool not installed (scripts/install_slow_test_deps.sh installs slurm-wlm and munge)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/borex-slurm.XXXXXX")
chmod 755 "$work"
mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/log"
export SLURM_CONF=$work/slurm.conf

# Cleanup stops only what this script started, by process id. The daemons fork away from this
# script, so where PID 1 is slow to reap (containers) a dead one lingers as a zombie, which
# `kill -0` still finds: look at the state in /proc instead.
alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [[ -n $state && $state != Z ]]
}
wait_gone() {  # PID SECONDS, then SIGKILL
  for _ in $(seq $(($2 * 5))); do alive "$1" || return 0; sleep 0.2; done
  kill -9 "$1" 2>/dev/null
}
# Long commands run in the background and are waited for, so that INT/TERM (ctest's timeout,
# Ctrl-C) run the cleanup at once instead of after the command.
child=""
run() { "$@" & child=$!; wait "$child"; }
cleanup() {
  local status=$? pid slurmd_pid ctld_pid munged_pid
  set +e
  if [[ $status -ne 0 && $status -ne 77 ]]; then
    echo "slurm_batch_test: FAILED (status $status); last log lines:" >&2
    for log in "$work"/log/*.log "$work"/out/logs/*.out; do
      [[ -f $log ]] && { echo "== $log" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  [[ -n $child ]] && kill "$child" 2>/dev/null
  # The daemons delete their pid files as they shut down: read them first.
  slurmd_pid=$(cat "$work/slurmd.pid" 2>/dev/null)
  ctld_pid=$(cat "$work/slurmctld.pid" 2>/dev/null)
  munged_pid=$(cat "$work/munge/munged.pid" 2>/dev/null)
  if [[ $ctld_pid =~ ^[0-9]+$ ]] && alive "$ctld_pid"; then
    # Cancel the jobs and let slurmd end their steps before it goes (a slurmstepd left behind
    # ignores SIGTERM and keeps retrying to reach slurmd).
    scancel --quiet --full --user=root >/dev/null 2>&1  # our private cluster's jobs only
    for _ in $(seq 30); do [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break; sleep 0.5; done
    scontrol shutdown >/dev/null 2>&1                   # slurmctld and slurmd
  fi
  for pid in "$slurmd_pid" "$ctld_pid"; do [[ $pid =~ ^[0-9]+$ ]] && wait_gone "$pid" 15; done
  [[ $munged_pid =~ ^[0-9]+$ ]] && { kill "$munged_pid" 2>/dev/null; wait_gone "$munged_pid" 5; }
  # Anything else our cluster started (job steps) carries our SLURM_CONF in its environment.
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [[ $pid == "$$" ]] && continue
    grep -qzxF "SLURM_CONF=$SLURM_CONF" "/proc/$pid/environ" 2>/dev/null && alive "$pid" &&
      { echo "slurm_batch_test: killing leftover $(tr '\0' ' ' <"/proc/$pid/cmdline") ($pid)" >&2; kill -9 "$pid"; }
  done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munge: a key of our own (mungekey is munge >= 0.5.14; else 1024 random bits), our own socket.
if command -v mungekey >/dev/null; then
  mungekey --create --keyfile="$work/munge/munge.key"
else
  dd if=/dev/urandom of="$work/munge/munge.key" bs=128 count=1 status=none
fi
chmod 600 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
  --log-file="$work/log/munged.log"

# Two free TCP ports for slurmctld and slurmd (a system Slurm would hold 6817/6818).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
  ctld_port=$((20000 + RANDOM % 20000))
  port_free "$ctld_port" && port_free $((ctld_port + 1)) && break
done

# CPUs and RealMemory as slurmd sees them ("NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105").
hardware=$(slurmd -C | head -n 1)
cpus=$(grep -o 'CPUs=[0-9]*' <<<"$hardware" | cut -d= -f2)
memory=$(grep -o 'RealMemory=[0-9]*' <<<"$hardware" | cut -d= -f2)
cat >"$SLURM_CONF" <<EOF
ClusterName=borextest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=localhost CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost

for _ in $(seq 60); do
  state=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 1
done
[[ $state == idle ]] || { echo "slurm_batch_test: node not idle after 60 s (state '$state')" >&2; exit 1; }
echo "slurm_batch_test: Slurm up (node localhost: $cpus CPUs, ports $ctld_port/$((ctld_port + 1)))"

out=$work/out
methods=rise,borex:rise
batch_args=(--voc-root tests/data/voc_tiny --split test
  --methods "$methods" --masks 20 --iterations 5 --step 2048)
cd "$source_dir"
run timeout 400 scripts/batch_slurm.sh -n 3 --wait --poll 1 --cpus 1 --borex "$borex" -- \
  "${batch_args[@]}" --model models/fashion_scenes_resnet.pt --out "$out" >"$work/first.out"
cat "$work/first.out"
first_array_job=$(grep -o '^array_job=[0-9]*' "$work/first.out" | cut -d= -f2)

tests/scripts/check_sharded_output.py "$out" "$methods" 3 tests/data/voc_tiny/ImageSets/Main/test.txt
[[ -s $out/report.json ]] || { echo "slurm_batch_test: no $out/report.json" >&2; exit 1; }
# --cpus 1 became each shard's --threads.
grep -q -- '--threads 1 --shard 2/3$' "$out/logs/slurm-${first_array_job}_2.out" ||
  { echo "slurm_batch_test: shard 2 did not run with --threads 1 --shard 2/3" >&2; exit 1; }

# The same command again resumes: every shard finds its rows done and computes nothing.
run timeout 200 scripts/batch_slurm.sh -n 3 --wait --poll 1 --cpus 1 --borex "$borex" -- \
  "${batch_args[@]}" --model models/fashion_scenes_resnet.pt --out "$out" >"$work/again.out"
# Each shard's batch.json describes its latest run: nothing processed, 2 images x 2 methods resumed.
python3 - "$out" 3 <<'PY'
import json, sys
for k in range(1, int(sys.argv[2]) + 1):
    run = json.load(open(f"{sys.argv[1]}/shard-{k}-of-{sys.argv[2]}/batch.json"))
    assert run["images_processed"] == 0 and run["rows_resumed"] == 4, (k, run)
PY
[[ $(wc -l <"$out/rise.csv") -eq 7 ]] || { echo "slurm_batch_test: resume changed rise.csv" >&2; exit 1; }

# Failing shards: the report job is cancelled, not left pending, and --wait fails naming them.
if run timeout 200 scripts/batch_slurm.sh -n 2 --wait --poll 1 --cpus 1 --borex "$borex" -- \
  "${batch_args[@]}" --model "$work/missing.pt" --out "$work/bad" 2>"$work/bad.err"; then
  echo "slurm_batch_test: a batch with a missing model succeeded" >&2
  exit 1
fi
if ! grep -q 'shard 1/2: FAILED' "$work/bad.err" || ! grep -q 'shard 2/2: FAILED' "$work/bad.err"; then
  cat "$work/bad.err" >&2
  echo "slurm_batch_test: the failed shards were not named" >&2
  exit 1
fi
echo "slurm_batch_test: the failing batch said, as expected:"
sed 's/^/  | /' "$work/bad.err"
[[ -z $(squeue -h -o %i) ]] || { squeue >&2; echo "slurm_batch_test: jobs left in the queue" >&2; exit 1; }
echo "slurm_batch_test: ok"
