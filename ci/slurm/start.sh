#!/usr/bin/env bash
# Start a real single-node SLURM cluster on this machine (controller + compute node on
# localhost, 2 fake GPUs), for the snakemake-executor-plugin-slurm tests (tests/test_slurm.py).
#
# Idempotent: installs only what is missing, rewrites the configs only when they change,
# starts only the daemons that are not running (restarts them when their config changed),
# then checks the node is idle and runs a smoke job (CPU and GPU) every time.
#
# Needs: Debian/Ubuntu with apt, root, no systemd required (daemons are started by pid).
# Environment:
#   ZSNAS_SLURM_ACCOUNTING=1|0   slurmdbd + MariaDB accounting (default 1, see README.md)
#   ZSNAS_SLURM_SMOKE=1|0        run the smoke jobs (default 1)
#   ZSNAS_SLURM_GPUS=N           number of fake GPUs (default 2)
# Stop with ci/slurm/stop.sh.
set -euo pipefail

ACCOUNTING=${ZSNAS_SLURM_ACCOUNTING:-1}
SMOKE=${ZSNAS_SLURM_SMOKE:-1}
NGPUS=${ZSNAS_SLURM_GPUS:-2}
PARTITION=debug
CLUSTER=ci

ETC=/etc/slurm
LIB=/var/lib/slurm
LOGDIR=/var/log/slurm
RUNDIR=/run/slurm                      # owned by SlurmUser, so the daemons can remove their pid files
CTLD_PID=$RUNDIR/slurmctld.pid
SLURMD_PID=$RUNDIR/slurmd.pid
DBD_PID=$RUNDIR/slurmdbd.pid
MUNGE_PID=/run/munge/munged.pid
MYSQL_RUN=/run/mysqld
MYSQL_PID=$MYSQL_RUN/mysqld.pid
MYSQL_SOCK=$MYSQL_RUN/mysqld.sock
MYSQL_LOG=/var/log/mysql/zsnas-slurm-error.log

T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '[slurm %5ss] %s\n' "$(since "$T0")" "$*"; }
die() {
    trap - ERR
    echo "[slurm] ERROR: $*" >&2
    for f in $LOGDIR/slurmctld.log $LOGDIR/slurmd.log $LOGDIR/slurmdbd.log $MYSQL_LOG /var/log/munge/munged.log; do
        [[ -s $f ]] && { echo "----- last lines of $f -----" >&2; tail -n 25 "$f" >&2; }
    done
    command -v sinfo >/dev/null && [[ -f $ETC/slurm.conf ]] && { sinfo -R >&2 || true; }
    exit 1
}
# step NAME CMD...: run CMD (errexit applies inside it), print how long it took
STEP=setup
set -E
trap 'die "step $STEP failed (line $LINENO: $BASH_COMMAND)"' ERR
step() {
    STEP=$1; shift
    local s; s=$(date +%s.%N)
    "$@"
    printf '[slurm] step %-12s %6ss\n' "$STEP" "$(since "$s")"
}

[[ $(id -u) == 0 ]] || { echo "[slurm] ERROR: must run as root (installs packages, starts daemons)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "[slurm] ERROR: needs apt-get (Debian/Ubuntu)" >&2; exit 1; }
[[ $ACCOUNTING == 0 || $ACCOUNTING == 1 ]] || { echo "[slurm] ERROR: ZSNAS_SLURM_ACCOUNTING must be 0 or 1" >&2; exit 1; }
[[ $NGPUS =~ ^[1-9]$ ]] || { echo "[slurm] ERROR: ZSNAS_SLURM_GPUS must be 1..9" >&2; exit 1; }

# --- is daemon NAME running with the pid in PIDFILE? prints the pid ------------------------------
# Falls back to the exact process name when the pid file is missing (daemon started elsewhere).
daemon_pid() {
    local name=$1 pidfile=$2 pid=""
    [[ -s $pidfile ]] && pid=$(tr -dc 0-9 <"$pidfile")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ $(cat /proc/$pid/comm 2>/dev/null) == "$name" ]]; then
        echo "$pid"; return 0
    fi
    pid=$(pgrep -x "$name" | head -n1 || true)
    [[ -n $pid ]] && { echo "$pid"; return 0; }
    return 1
}
# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s
wait_for() {
    local secs=$1 what=$2; shift 2
    local end=$(( $(date +%s) + secs ))
    until "$@" >/dev/null 2>&1; do
        (( $(date +%s) < end )) || { echo "[slurm] timed out after ${secs}s waiting for $what" >&2; return 1; }
        sleep 0.2
    done
}
# stop_pid NAME PIDFILE: TERM, wait, KILL
stop_daemon() {
    local name=$1 pidfile=$2 pid
    pid=$(daemon_pid "$name" "$pidfile") || { rm -f "$pidfile"; return 0; }
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

# ================================ 1. packages ================================================
PKGS=(slurm-wlm slurmctld slurmd slurm-client munge)
[[ $ACCOUNTING == 1 ]] && PKGS+=(slurmdbd mariadb-server)

install_packages() {
    local missing=()
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then log "packages already installed"; return 0; fi
    log "installing: ${missing[*]}"
    # keep the maintainer scripts from starting services (no systemd; we start them by pid)
    local own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
    fi
    local rc=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null; } || rc=$?
    ((own_policy)) && rm -f /usr/sbin/policy-rc.d
    ((rc == 0)) || { echo "[slurm] apt-get install failed (rc=$rc)" >&2; return 1; }
}
step apt install_packages
log "slurm $(dpkg-query -W -f='${Version}' slurmctld), munge $(dpkg-query -W -f='${Version}' munge)"

# ================================ 2. configuration ===========================================
NODE=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)   # 10% headroom
CHANGED_SLURM=0 CHANGED_DBD=0

# write_file PATH OWNER MODE < content; sets CHANGED=1 when the content differs
write_file() {
    local path=$1 owner=$2 mode=$3 tmp
    tmp=$(mktemp)
    cat >"$tmp"
    if [[ -f $path ]] && cmp -s "$tmp" "$path"; then rm -f "$tmp"; CHANGED=0
    else install -o "${owner%:*}" -g "${owner#*:}" -m "$mode" "$tmp" "$path"; rm -f "$tmp"; CHANGED=1
    fi
    chown "$owner" "$path"; chmod "$mode" "$path"
}

configure() {
    id slurm >/dev/null 2>&1 || { echo "[slurm] user 'slurm' missing (package install incomplete?)" >&2; return 1; }
    install -d -o slurm -g slurm -m 755 "$RUNDIR" "$LOGDIR" "$LIB" "$LIB/slurmctld" "$LIB/slurmd"
    install -d -m 755 "$ETC"
    # fake GPUs: Slurm drops a gpu GRES without File=, so point it at char devices (= /dev/null's 1,3)
    local files=()
    for ((i = 0; i < NGPUS; i++)); do
        local dev=$LIB/fakegpu$i
        if [[ ! -c $dev ]]; then
            rm -f "$dev"
            mknod "$dev" c 1 3 2>/dev/null || touch "$dev"   # plain file also loads (slurmd warns)
        fi
        files+=("$dev")
    done
    local acct_lines
    if [[ $ACCOUNTING == 1 ]]; then
        acct_lines="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819"
    else
        acct_lines="AccountingStorageType=accounting_storage/none"
    fi
    write_file $ETC/slurm.conf root:root 644 <<EOF
# Generated by ci/slurm/start.sh for host '$NODE' -- single-node CI cluster, do not edit.
ClusterName=$CLUSTER
# addresses pinned to loopback: nothing depends on DNS or on the hostname resolving
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=$LIB/slurmctld
SlurmdSpoolDir=$LIB/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MailProg=/bin/true
MpiDefault=none
# no cgroups (containers, no systemd): track job processes via /proc, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# jobs without --mem must not take the whole node's memory
DefMemPerCPU=256
# a node that was DOWN comes back by itself when slurmd registers with a valid config
ReturnToService=2
KillWait=5
# finished jobs stay visible to 'squeue --states=all' for 300 s; the plugin only trusts
# squeue for status if MinJobAge >= 3 x slurm-init-seconds-before-status-checks
MinJobAge=300
$acct_lines
JobCompType=jobcomp/none
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:$NGPUS State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    CHANGED_SLURM=$CHANGED
    local first=${files[0]} range
    range=$LIB/fakegpu[0-$((NGPUS - 1))]
    ((NGPUS == 1)) && range=$first
    write_file $ETC/gres.conf root:root 644 <<EOF
# Generated by ci/slurm/start.sh: fake GPUs (dummy char devices), no autodetection
AutoDetect=off
NodeName=$NODE Name=gpu File=$range
EOF
    ((CHANGED)) && CHANGED_SLURM=1
    if [[ $ACCOUNTING == 1 ]]; then
        # slurmdbd refuses to start unless owned by SlurmUser with mode 600
        write_file $ETC/slurmdbd.conf slurm:slurm 600 <<EOF
# Generated by ci/slurm/start.sh
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=slurm
PidFile=$DBD_PID
LogFile=$LOGDIR/slurmdbd.log
# MariaDB over its unix socket (--skip-networking), user 'slurm' authenticated by unix_socket
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StorageLoc=slurm_acct_db
EOF
        CHANGED_DBD=$CHANGED
    fi
    log "config: node=$NODE cpus=$CPUS mem=${MEM_MB}MB gpus=$NGPUS accounting=$ACCOUNTING (changed: slurm=$CHANGED_SLURM dbd=$CHANGED_DBD)"
}
step config configure

# ================================ 3. daemons =================================================
start_munge() {
    if daemon_pid munged $MUNGE_PID >/dev/null; then log "munged already running"; return 0; fi
    install -d -o munge -g munge -m 755 /run/munge
    install -d -o munge -g munge -m 700 /var/log/munge /var/lib/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        install -d -o munge -g munge -m 700 /etc/munge
        if command -v mungekey >/dev/null; then mungekey --create --force --keyfile=/etc/munge/munge.key
        else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
    fi
    chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
    rm -f $MUNGE_PID
    runuser -u munge -- /usr/sbin/munged --force </dev/null
    wait_for 15 "munge" bash -c 'munge -n | unmunge'
}

start_mariadb() {
    if daemon_pid mariadbd $MYSQL_PID >/dev/null; then log "mariadbd already running"; return 0; fi
    install -d -o mysql -g mysql -m 755 $MYSQL_RUN /var/log/mysql
    if [[ ! -d /var/lib/mysql/mysql ]]; then
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
    fi
    rm -f $MYSQL_PID $MYSQL_SOCK
    # no TCP: slurmdbd talks to it over the unix socket
    setsid /usr/sbin/mariadbd --user=mysql --datadir=/var/lib/mysql --skip-networking \
        --socket=$MYSQL_SOCK --pid-file=$MYSQL_PID --log-error=$MYSQL_LOG \
        --innodb-buffer-pool-size=64M </dev/null >/dev/null 2>&1 &
    wait_for 60 "mariadb" mariadb-admin --socket=$MYSQL_SOCK ping
    mariadb --socket=$MYSQL_SOCK -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED VIA unix_socket;
        GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
}

start_slurmdbd() {
    if ((CHANGED_DBD)); then stop_daemon slurmdbd $DBD_PID; fi
    if daemon_pid slurmdbd $DBD_PID >/dev/null; then log "slurmdbd already running"; return 0; fi
    rm -f $DBD_PID
    /usr/sbin/slurmdbd </dev/null
    wait_for 30 "slurmdbd (sacctmgr)" sacctmgr -n list cluster
}

start_slurmctld() {
    if ((CHANGED_SLURM)); then stop_daemon slurmctld $CTLD_PID; fi
    if daemon_pid slurmctld $CTLD_PID >/dev/null; then log "slurmctld already running"; return 0; fi
    rm -f $CTLD_PID
    /usr/sbin/slurmctld </dev/null
    wait_for 30 "slurmctld (scontrol ping)" bash -c 'scontrol ping | grep -q UP'
}

start_slurmd() {
    if ((CHANGED_SLURM)); then stop_daemon slurmd $SLURMD_PID; fi
    if daemon_pid slurmd $SLURMD_PID >/dev/null; then log "slurmd already running"; return 0; fi
    rm -f $SLURMD_PID
    SLURMD_STARTED=$(( $(date +%s) - 1 ))
    /usr/sbin/slurmd -N "$NODE" </dev/null
}
SLURMD_STARTED=0
# slurmctld may still show the node state it saved before; wait for this slurmd's registration
slurmd_registered() {
    local t
    t=$(scontrol show node "$NODE" -o 2>/dev/null | grep -o 'SlurmdStartTime=[^ ]*' | cut -d= -f2)
    [[ -n $t && $t != None ]] && (( $(date -d "$t" +%s 2>/dev/null || echo 0) >= SLURMD_STARTED ))
}

node_state() { sinfo -h -n "$NODE" -o %t 2>/dev/null | head -n1; }
wait_idle() {
    local end=$(( $(date +%s) + 60 )) st next_resume=0
    while :; do
        st=$(node_state)
        if ! slurmd_registered; then
            st="$st, slurmd not registered yet"
        else
            case $st in
                idle|mix|alloc|comp) log "node $NODE is $st"; return 0 ;;
                drain*|drng*|down|inval*|fail*)
                    # stays drained after an earlier bad config/registration; slurmd is up now
                    if (( $(date +%s) >= next_resume )); then
                        log "node $NODE is '$st' ($(sinfo -h -n "$NODE" -o %E)): resuming it"
                        scontrol update nodename="$NODE" state=resume || true
                        next_resume=$(( $(date +%s) + 3 ))
                    fi ;;
            esac
        fi
        (( $(date +%s) < end )) || { echo "[slurm] node $NODE not idle after 60s (state '$st')" >&2; return 1; }
        sleep 0.2
    done
}

step munged start_munge
if [[ $ACCOUNTING == 1 ]]; then
    step mariadb start_mariadb
    step slurmdbd start_slurmdbd
elif daemon_pid slurmdbd $DBD_PID >/dev/null; then
    # switched from accounting to none: slurmdbd is not used any more (MariaDB is left alone)
    step slurmdbd stop_daemon slurmdbd $DBD_PID
fi
step slurmctld start_slurmctld
step slurmd start_slurmd
step node-idle wait_idle

if [[ $ACCOUNTING == 1 ]]; then
    check_accounting() {
        # slurmctld registers the cluster with slurmdbd and creates account root / user root
        wait_for 30 "cluster '$CLUSTER' with account root in slurmdbd" \
            bash -c "sacctmgr -n -P list assoc cluster=$CLUSTER user=root format=account | grep -qx root"
    }
    step accounting check_accounting
fi

# ================================ 4. smoke test ==============================================
smoke() {
    local d rc=0 p1 p2
    d=$(mktemp -d /tmp/zsnas-slurm-smoke.XXXXXX); chmod 755 "$d"
    timeout 120 sbatch --wait -Q -p $PARTITION -t 2 --mem 50 -J zsnas-smoke -D "$d" -o "$d/cpu.out" \
        --wrap 'echo "ok on $(hostname)"' & p1=$!
    timeout 120 sbatch --wait -Q -p $PARTITION -t 2 --mem 50 -J zsnas-smoke-gpu --gpus=1 -D "$d" -o "$d/gpu.out" \
        --wrap 'echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"' & p2=$!
    wait $p1 || { echo "[slurm] smoke CPU job failed (rc=$?): $(cat "$d/cpu.out" 2>/dev/null)" >&2; rc=1; }
    wait $p2 || { echo "[slurm] smoke GPU job failed (rc=$?): $(cat "$d/gpu.out" 2>/dev/null)" >&2; rc=1; }
    if ((rc == 0)); then
        grep -q '^ok on' "$d/cpu.out" || { echo "[slurm] smoke CPU job: unexpected output '$(cat "$d/cpu.out")'" >&2; rc=1; }
        grep -Eq '^CUDA_VISIBLE_DEVICES=[0-9]' "$d/gpu.out" \
            || { echo "[slurm] smoke GPU job saw no GPU: '$(cat "$d/gpu.out")'" >&2; rc=1; }
        ((rc == 0)) && log "smoke: $(cat "$d/cpu.out"); GPU job: $(cat "$d/gpu.out")"
    fi
    rm -rf "$d"
    return $rc
}
if [[ $SMOKE == 1 ]]; then step smoke smoke; fi

log "SLURM cluster '$CLUSTER' is up: partition $PARTITION, node $NODE ($CPUS CPUs, ${MEM_MB} MB, $NGPUS fake GPUs), accounting=$ACCOUNTING"
