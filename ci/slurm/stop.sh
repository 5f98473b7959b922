#!/usr/bin/env bash
# Stop the single-node CI SLURM cluster started by ci/slurm/start.sh: slurmd, slurmctld,
# slurmdbd, mariadbd, munged, each by the pid in its pid file, then remove the pid files
# (slurmctld/slurmdbd drop privileges and cannot always remove their own pid files; a stale
# slurmctld.pid makes e.g. 'apt-get remove slurmctld' fail, its prerm runs scancel).
# Safe to run when nothing is running. Does not uninstall packages or delete state.
#   ZSNAS_SLURM_STOP_MUNGE=0   leave munged running (default: stop it too)
set -uo pipefail

[[ $(id -u) == 0 ]] || { echo "[slurm] ERROR: must run as root" >&2; exit 1; }

RUNDIR=/run/slurm
# name:pidfile, in stop order (compute node first, database last)
DAEMONS=(
    "slurmd:$RUNDIR/slurmd.pid"
    "slurmctld:$RUNDIR/slurmctld.pid"
    "slurmdbd:$RUNDIR/slurmdbd.pid"
    "mariadbd:/run/mysqld/mysqld.pid"
)
[[ ${ZSNAS_SLURM_STOP_MUNGE:-1} == 1 ]] && DAEMONS+=("munged:/run/munge/munged.pid")
# pid files of older layouts / the Debian defaults, removed when stale
STALE=(/run/slurmctld.pid /run/slurmd.pid /run/slurmdbd.pid)

rc=0
for entry in "${DAEMONS[@]}"; do
    name=${entry%%:*} pidfile=${entry#*:}
    pid=""
    [[ -s $pidfile ]] && pid=$(tr -dc 0-9 <"$pidfile")
    # only trust the pid file if that pid is really this daemon (pids get reused)
    if [[ -n $pid ]] && ! [[ $(cat /proc/$pid/comm 2>/dev/null) == "$name" ]]; then pid=""; fi
    # pid file lost but the daemon runs: find it by its exact process name
    [[ -z $pid ]] && pid=$(pgrep -x "$name" | head -n1)
    if [[ -z $pid ]]; then rm -f "$pidfile"; continue; fi
    t=$(date +%s.%N)
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "[slurm] $name (pid $pid) ignored SIGTERM for 15 s, killing" >&2
        kill -KILL "$pid" 2>/dev/null; sleep 0.5
    fi
    if kill -0 "$pid" 2>/dev/null; then echo "[slurm] ERROR: could not stop $name (pid $pid)" >&2; rc=1
    else
        echo "[slurm] stopped $name (pid $pid) in $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
        rm -f "$pidfile"
    fi
done
for f in "${STALE[@]}"; do
    [[ -s $f ]] || { rm -f "$f"; continue; }
    pid=$(tr -dc 0-9 <"$f")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || rm -f "$f"
done
exit $rc
