#!/bin/bash
# Usage: testbed/nspawn/down.sh NAME
#
# Stop test bed NAME and remove everything up.sh and repo.sh created for it. The container gets
# an orderly poweroff first, and SIGKILL by recorded PID if that hangs. Then the repository
# server, the network namespace and veth pair, leftover mounts, the bed's cgroups and its run
# folder go. Works on a half-built bed after a failed up.sh, and does nothing when run twice.

. "$(dirname "$0")/lib.sh"

POWEROFF_TIMEOUT=${STEPWIZARD_TESTBED_POWEROFF_TIMEOUT:-30}

(($# == 1)) || die "usage: $0 NAME"
BED_NAME=$1
validate_name "$BED_NAME"
require_root
run=$(run_dir_of "$BED_NAME")

# Wait up to $2 tenths of a second for PID $1 to exit.
wait_for_exit() {
    local pid=$1 tenths=$2 attempt
    for ((attempt = 0; attempt < tenths; attempt++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    ! pid_alive "$pid"
}

# Return success when PID $1 is the systemd-nspawn of this bed, not a process that reused the PID.
is_bed_nspawn() {
    local pid=$1
    grep -qF -- "--directory=$run/root" "/proc/$pid/cmdline" 2>/dev/null
}

# Return success when PID $1 belongs to one of this bed's cgroups.
runs_in_bed() {
    grep -qF "/$CGROUP_PARENT/$BED_NAME/" "/proc/$1/cgroup" 2>/dev/null
}

stop_container() {
    local nspawn_pid init_pid
    # The container's systemd can outlive a killed nspawn. Killing it ends its PID namespace.
    if ! live_pid_from_file "$run/nspawn.pid" >/dev/null &&
        init_pid=$(live_pid_from_file "$run/init.pid") && runs_in_bed "$init_pid"; then
        log "systemd-nspawn of $BED_NAME is gone; killing the container's systemd (PID $init_pid)"
        kill -KILL "$init_pid" 2>/dev/null || true
        wait_for_exit "$init_pid" 50 || true
    fi
    if nspawn_pid=$(live_pid_from_file "$run/nspawn.pid") && is_bed_nspawn "$nspawn_pid"; then
        # On SIGTERM nspawn sends SIGRTMIN+3 to the container's systemd, which powers off.
        kill -TERM "$nspawn_pid" 2>/dev/null || true
        if ! wait_for_exit "$nspawn_pid" $((POWEROFF_TIMEOUT * 10)); then
            log "poweroff of $BED_NAME timed out after ${POWEROFF_TIMEOUT}s; killing it"
            init_pid=$(live_pid_from_file "$run/init.pid" || true)
            # Killing PID 1 of the container's PID namespace ends every process in it.
            [[ -n $init_pid ]] && kill -KILL "$init_pid" 2>/dev/null
            kill -KILL "$nspawn_pid" 2>/dev/null || true
            wait_for_exit "$nspawn_pid" 50 || log "warning: systemd-nspawn PID $nspawn_pid survived SIGKILL"
        fi
        # nspawn's parent is the host's init, which reaps the zombie a moment later. Waiting
        # for that means a check for leftover processes right after down.sh finds none.
        for _ in $(seq 1 30); do
            [[ -e /proc/$nspawn_pid ]] || break
            sleep 0.1
        done
    fi
}

# Print the PIDs of this shell and its ancestors, up to the host's init.
own_ancestry() {
    local pid=$$
    while [[ -n $pid && $pid != 0 ]]; do
        printf '%s\n' "$pid"
        pid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    done
}

# Kill, by PID, any process still listed in the bed's cgroups, such as a container whose nspawn
# died before it recorded the container's PID, or a step of a killed up.sh, which runs in the
# bed's cgroup "setup". Only this bed's processes are there. When up.sh runs this script to
# clean up after itself, it and its callers are spared.
kill_cgroup_leftovers() {
    local hierarchy dir pid spared
    spared=$(own_ancestry)
    while read -r hierarchy; do
        dir=$hierarchy/$CGROUP_PARENT/$BED_NAME
        [[ -d $dir ]] || continue
        while read -r pid; do
            [[ -n $pid ]] || continue
            grep -qx "$pid" <<<"$spared" && continue
            log "killing leftover process $pid of $BED_NAME"
            kill -KILL "$pid" 2>/dev/null || true
        done < <(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    done < <(cgroup_hierarchies)
}

remove_cgroups() {
    local hierarchy dir attempt
    while read -r hierarchy; do
        dir=$hierarchy/$CGROUP_PARENT/$BED_NAME
        [[ -d $dir ]] || continue
        # A cgroup can be removed only once its killed processes are gone, so retry briefly.
        for attempt in $(seq 1 30); do
            find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
            [[ -d $dir ]] || break
            sleep 0.1
        done
        [[ -d $dir ]] && log "warning: could not remove cgroup $dir"
        rmdir "$hierarchy/$CGROUP_PARENT" 2>/dev/null || true
    done < <(cgroup_hierarchies)
}

unmount_leftovers() {
    local mount_point
    # Deepest first, so that nested mounts go before their parents.
    while read -r mount_point; do
        umount -l "$mount_point" 2>/dev/null || log "warning: could not unmount $mount_point"
    done < <(awk -v prefix="$run/" 'index($2, prefix) == 1 {print $2}' /proc/self/mounts | sort -r)
}

# Remove what a killed nspawn leaves in /run/systemd/nspawn: the lock named after the inode of
# the root directory, and the mount propagation folder named after the machine.
remove_nspawn_leftovers() {
    if [[ -d $run/root ]]; then
        rm -f "/run/systemd/nspawn/locks/$(stat -c 'inode-%d:%i' "$run/root")"
    fi
    rmdir "/run/systemd/nspawn/propagate/$BED_NAME" 2>/dev/null || true
}

remove_network() {
    local index host_veth
    if [[ -s $run/index ]]; then
        index=$(<"$run/index")
        host_veth=$(host_veth_of "$index")
        ip link show "$host_veth" >/dev/null 2>&1 && ip link delete "$host_veth"
    fi
    if ip netns list | awk '{print $1}' | grep -qx -- "$BED_NAME"; then
        ip netns delete "$BED_NAME"
    fi
}

stop_container
[[ -d $run ]] && stop_repo_server "$run"
kill_cgroup_leftovers
remove_cgroups
remove_network
remove_nspawn_leftovers
if [[ -d $run ]]; then
    unmount_leftovers
    [[ -d $run/gnupg ]] && stop_gpg_agent "$run/gnupg"
    rm -rf --one-file-system "$run"
    log "$BED_NAME is down"
fi
exit 0
