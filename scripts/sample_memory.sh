#!/usr/bin/env bash
# Runs a command and samples its /proc/PID/status every 5 ms; prints the largest anonymous and
# file-backed resident sizes seen and the kernel's peak (VmHWM), in kB. Sampling can miss a peak
# shorter than the interval; VmHWM cannot (docs/benchmarks.md, "The clip's peak memory depends on
# the address layout"). Usage: scripts/sample_memory.sh COMMAND [ARGS...]   (its output discarded)
set -euo pipefail
(($#)) || { echo "usage: scripts/sample_memory.sh COMMAND [ARGS...]" >&2; exit 2; }
"$@" > /dev/null 2>&1 &
pid=$!
anon=0 file=0 hwm=0
while [[ -r /proc/$pid/status ]]; do
  read -r a f h < <(awk '/^RssAnon/ {a = $2} /^RssFile/ {f = $2} /^VmHWM/ {h = $2}
    END {print a + 0, f + 0, h + 0}' "/proc/$pid/status" 2> /dev/null || echo 0 0 0)
  ((a > anon)) && anon=$a
  ((f > file)) && file=$f
  ((h > hwm)) && hwm=$h
  sleep 0.005
done
status=0
wait "$pid" || status=$?
echo "peak RssAnon $anon kB, peak RssFile $file kB, VmHWM $hwm kB"
exit "$status"
