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
#  - munged refuses to run as root without --force, and warns that the socket's directory is not
#    world-searchable (mktemp -d makes 0700): harmless for root-only clients, chmod 755 anyway.
#    A private socket needs AuthInfo=socket=PATH in slurm.conf; auth/munge and cred/munge then use
#    it for the daemons, the client commands and slurmstepd alike.
#  - The node is called "localhost" while the hostname is something else: slurmd needs
#    `-N localhost`, or it looks for a NodeName matching `hostname -s` and exits.
#  - CPUs/RealMemory in slurm.conf must not exceed what slurmd finds (`slurmd -C`), or the node is
#    set INVALID/DRAIN instead of idle; we copy them from `slurmd -C`.
#  - ProctrackType=proctrack/linuxproc and TaskPlugin=task/none avoid cgroups (not writable in
#    most containers); JobAcctGatherType=jobacct_gather/none, no accounting storage, so no
#    slurmdbd. Without accounting sacct does not work: batch_slurm.sh --wait polls scontrol.
#  - "mpi/pmix_v4: can not load PMIx library" errors in both logs are harmless (we use no MPI).
#  - Fresh StateSaveLocation: slurmctld logs "Could not open ... state file" errors: harmless.
#  - SLURM_CONF must be exported for sinfo/sbatch/scontrol/scancel; the jobs inherit it.
#  - Slurm does not create the directory of an --output file; the submitter makes OUT/logs first.
#  - SLURM_ARRAY_TASK_COUNT/MIN/MAX are set in 22.05 (checked by batch_slurm.sbatch).
#  - Killing slurmd leaves running slurmstepd processes; cancel the jobs first, then
#    `scontrol shutdown` stops slurmctld and slurmd; pids from their pid files as a fallback.
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

# Stops what this script started, by the pids in its own pid files.
stop_pid_file() {
  local pid
  pid=$(cat "$1" 2>/dev/null) && [[ $pid =~ ^[0-9]+$ ]] || return 0
  [[ $2 == term ]] && kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null
}
cleanup() {
  local status=$?
  set +e
  if [[ $status -ne 0 && $status -ne 77 ]]; then
    echo "slurm_batch_test: FAILED (status $status); last log lines:" >&2
    for log in "$work"/log/*.log "$work"/out/logs/*.out; do
      [[ -f $log ]] && { echo "== $log" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  if [[ -s $work/slurmctld.pid ]]; then
    scancel --quiet --full --user=root >/dev/null 2>&1  # our private cluster's jobs only
    scontrol shutdown >/dev/null 2>&1                   # slurmctld and slurmd
  fi
  stop_pid_file "$work/slurmd.pid" wait
  stop_pid_file "$work/slurmctld.pid" wait
  stop_pid_file "$work/munge/munged.pid" term
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
  --methods "$methods" --masks 20 --iterations 5 --step 2048 --threads 1)
cd "$source_dir"
timeout 600 scripts/batch_slurm.sh -n 3 --wait --poll 1 --borex "$borex" -- \
  "${batch_args[@]}" --model models/fashion_scenes_resnet.pt --out "$out"

python3 - "$out" "$methods" 3 tests/data/voc_tiny/ImageSets/Main/test.txt <<'PY'
import csv, os, sys
out, methods, shards, split = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), sys.argv[4]
ids = [line.split()[0] for line in open(split) if line.strip()]
dirs = sorted(d for d in os.listdir(out) if d.startswith("shard-"))
expected = [f"shard-{k}-of-{shards}" for k in range(1, shards + 1)]
assert dirs == sorted(expected), f"shard directories {dirs}, expected {expected}"
def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
for method in methods:
    merged = [row["image_id"] for row in rows(os.path.join(out, method + ".csv"))]
    assert len(merged) == len(ids) and set(merged) == set(ids), f"{method}: merged ids {merged}"
    seen = []
    for k in range(1, shards + 1):
        shard_dir = os.path.join(out, f"shard-{k}-of-{shards}")
        got = [row["image_id"] for row in rows(os.path.join(shard_dir, method + ".csv"))]
        want = [ids[i] for i in range(len(ids)) if i % shards == k - 1]
        assert sorted(got) == sorted(want), f"{method} shard {k}: {got}, expected {want}"
        for image_id in got:
            assert os.path.isfile(os.path.join(shard_dir, "maps", method, image_id + ".npy"))
        seen += got
    assert sorted(seen) == sorted(ids), f"{method}: shards hold {seen}"
print(f"checked {len(methods)} methods x {len(ids)} images in {shards} shards")
PY
[[ -s $out/report.json ]] || { echo "slurm_batch_test: no $out/report.json" >&2; exit 1; }

# The same command again resumes: every shard finds its rows done and computes nothing.
submitted=$(timeout 300 scripts/batch_slurm.sh -n 3 --wait --poll 1 --borex "$borex" -- \
  "${batch_args[@]}" --model models/fashion_scenes_resnet.pt --out "$out")
array_job=$(grep -o '^array_job=[0-9]*' <<<"$submitted" | cut -d= -f2)
for k in 1 2 3; do
  grep -q 'batch: 0 images processed, 0 skipped, 4 rows already done' \
    "$out/logs/slurm-${array_job}_$k.out" ||
    { echo "slurm_batch_test: shard $k did not resume" >&2; exit 1; }
done
[[ $(wc -l <"$out/rise.csv") -eq 7 ]] || { echo "slurm_batch_test: resume changed rise.csv" >&2; exit 1; }

# Failing shards: the report job is cancelled, not left pending, and --wait fails naming them.
if timeout 300 scripts/batch_slurm.sh -n 2 --wait --poll 1 --borex "$borex" -- \
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
