# shellcheck shell=bash
# Shared settings and helpers for the nspawn test bed scripts. Source it, do not run it:
#   . "$(dirname "$0")/lib.sh"
# Every path it defines lives outside the clone, under STEPWIZARD_DEV_CACHE.

# shellcheck disable=SC2034 # The settings here are used by the scripts that source this file.

set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${STEPWIZARD_DEV_CACHE:-/var/cache/stepwizard-dev}
TESTBED_CACHE=$CACHE_ROOT/testbed
# One folder per running bed: its root filesystem, keys, PID files and logs.
TESTBED_RUN=$TESTBED_CACHE/run

# Every bed owns the subnet 10.237.<index>.0/30: .1 on the host side of its veth pair,
# .2 inside the container.
TESTBED_NET_PREFIX=10.237
# Host name of the stand-in for smallstep's package server, resolved inside the container
# through /etc/hosts to the bed's host-side address.
REPO_HOST=packages.stepwizard.test
# Port of the "unreachable repository" variant: the bed's host side never listens on it.
UNREACHABLE_PORT=8443

log() {
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

die() {
    log "error: $*"
    exit 1
}

require_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it creates namespaces, veth pairs and cgroups)"
}

# Reject names that cannot be used in a network namespace path, an interface name or a folder.
validate_name() {
    local name=$1
    [[ $name =~ ^[a-z][a-z0-9-]{0,19}$ ]] ||
        die "invalid test bed name '$name': use 1-20 characters a-z, 0-9 and '-', starting with a letter"
}

run_dir_of() {
    printf '%s/%s\n' "$TESTBED_RUN" "$1"
}

# Name of the host-side veth interface of bed index $1 (at most 15 characters).
host_veth_of() {
    printf 'swtb%s\n' "$1"
}

# Return success when a process with PID $1 exists and is not a zombie.
pid_alive() {
    local pid=$1 state
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}

# Read a PID file and print the PID if that process still runs.
live_pid_from_file() {
    local file=$1 pid
    [[ -s $file ]] || return 1
    pid=$(<"$file")
    pid_alive "$pid" || return 1
    printf '%s\n' "$pid"
}

# Install the host tools the test bed needs, each only when missing.
# systemd-nspawn must match the host's systemd exactly, because systemd-container depends on
# libsystemd-shared of its own version and a newer one would upgrade the host's systemd.
ensure_host_packages() {
    local wanted=() host_systemd_version

    command -v debootstrap >/dev/null || wanted+=(debootstrap)
    command -v zstd >/dev/null || wanted+=(zstd)
    command -v ip >/dev/null || wanted+=(iproute2)
    command -v ssh >/dev/null || wanted+=(openssh-client)
    command -v ssh-keygen >/dev/null || wanted+=(openssh-client)
    command -v apt-ftparchive >/dev/null || wanted+=(apt-utils)
    command -v gpg >/dev/null || wanted+=(gpg)
    command -v openssl >/dev/null || wanted+=(openssl)
    [[ -x /usr/bin/python3 ]] || wanted+=(python3)
    if ! command -v systemd-nspawn >/dev/null; then
        host_systemd_version=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || true)
        if [[ -n $host_systemd_version ]]; then
            wanted+=("systemd-container=$host_systemd_version")
        else
            wanted+=(systemd-container)
        fi
    fi
    ((${#wanted[@]} == 0)) && return 0

    log "installing host packages: ${wanted[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${wanted[@]}" \
        >"$TESTBED_CACHE/host-apt.log" 2>&1; then
        apt-get update -q >>"$TESTBED_CACHE/host-apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${wanted[@]}" \
            >>"$TESTBED_CACHE/host-apt.log" 2>&1 ||
            die "apt-get install ${wanted[*]} failed, see $TESTBED_CACHE/host-apt.log"
    fi
}

# Print the Debian mirror URI that the host's own apt sources use for its release, so that
# debootstrap downloads from the only package mirror this machine reaches.
host_debian_mirror() {
    local codename uri
    if [[ -n ${STEPWIZARD_DEBIAN_MIRROR:-} ]]; then
        printf '%s\n' "$STEPWIZARD_DEBIAN_MIRROR"
        return
    fi
    codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
    uri=$(awk -v RS='' -v suite="$codename" '
        /(^|\n)Types:[^\n]*deb([ \t]|\n|$)/ && $0 ~ "(^|\n)Suites:[^\n]*[ \t]" suite "([ \t]|\n|$)" &&
        !/(^|\n)Enabled:[ \t]*no/ {
            if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) {
                line = substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", line); print line; exit
            }
        }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    if [[ -z $uri && -r /etc/apt/sources.list ]]; then
        uri=$(awk -v suite="$codename" '$1 == "deb" && $0 ~ "[ \t]" suite "[ \t]" {
            for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit } }' \
            /etc/apt/sources.list)
    fi
    [[ -n $uri ]] || die "no Debian mirror for '$codename' in the host's apt sources; set STEPWIZARD_DEBIAN_MIRROR"
    printf '%s\n' "$uri"
}

# Print the cgroup hierarchies in which systemd-nspawn creates the payload and supervisor
# groups: the named systemd v1 hierarchy and the unified v2 one on a hybrid host, or the single
# v2 tree on a unified host.
cgroup_hierarchies() {
    if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
        printf '%s\n' /sys/fs/cgroup
        return
    fi
    local hierarchy
    for hierarchy in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
        [[ -e $hierarchy/cgroup.procs ]] && printf '%s\n' "$hierarchy"
    done
    return 0
}

# Print the cgroup path of PID $1 within hierarchy $2, as listed in /proc/PID/cgroup.
cgroup_path_of() {
    local pid=$1 hierarchy=$2
    if [[ $hierarchy == */systemd ]]; then
        awk -F: '$2 == "name=systemd" {print $3; exit}' "/proc/$pid/cgroup"
    else
        awk -F: '$1 == "0" {print $3; exit}' "/proc/$pid/cgroup"
    fi
}

# Each bed runs in its own cgroup <hierarchy>/stepwizard-testbed/<name>, so that the payload and
# supervisor groups of two beds never collide and down.sh finds exactly what to remove.
CGROUP_PARENT=stepwizard-testbed

# Create a throwaway ed25519 signing key in GNUPGHOME $1 with user id $2 and print its
# fingerprint.
make_gpg_key() {
    local home=$1 user_id=$2
    install -d -m 0700 "$home"
    gpg --homedir "$home" --batch --quiet --passphrase '' --quick-gen-key "$user_id" ed25519 sign never \
        >/dev/null 2>&1
    gpg --homedir "$home" --batch --with-colons --list-keys "=$user_id" 2>/dev/null | awk -F: '/^fpr:/ {print $10; exit}'
}

# Stop the gpg-agent that gpg started for GNUPGHOME $1.
stop_gpg_agent() {
    gpgconf --homedir "$1" --kill all 2>/dev/null || true
}

# Write the index of the apt repository at $1 (suite $2, component main, amd64) from the .deb
# files under $1/pool/main, with $5 as Origin and Label. Then sign it with key $3 of GNUPGHOME $4
# as InRelease and Release.gpg. This is the dists/ layout that deb822 sources with "Suites: $2"
# and "Components: main" expect, unlike a flat repository, whose suite ends with "/".
publish_apt_repo() {
    local repo=$1 suite=$2 key=$3 home=$4 label=$5
    local dist=$repo/dists/$suite
    rm -rf "$dist"
    mkdir -p "$dist/main/binary-amd64"
    (cd "$repo" && apt-ftparchive packages pool/main) >"$dist/main/binary-amd64/Packages"
    gzip -9 -k "$dist/main/binary-amd64/Packages"
    apt-ftparchive \
        -o APT::FTPArchive::Release::Origin="$label" \
        -o APT::FTPArchive::Release::Label="$label" \
        -o APT::FTPArchive::Release::Suite="$suite" \
        -o APT::FTPArchive::Release::Codename="$suite" \
        -o APT::FTPArchive::Release::Architectures=amd64 \
        -o APT::FTPArchive::Release::Components=main \
        release "$dist" >"$repo/Release.tmp"
    mv "$repo/Release.tmp" "$dist/Release"
    gpg --homedir "$home" --batch --yes --quiet --local-user "$key!" --clearsign \
        --output "$dist/InRelease" "$dist/Release"
    gpg --homedir "$home" --batch --yes --quiet --local-user "$key!" --armor --detach-sign \
        --output "$dist/Release.gpg" "$dist/Release"
}

# Start the HTTPS server of the bed whose run folder is $1 on the bed's host-side address,
# unless it already runs.
start_repo_server() {
    local run=$1 pid
    # shellcheck disable=SC1091 # up.sh writes this file.
    . "$run/env"
    if pid=$(live_pid_from_file "$run/server.pid"); then
        return 0
    fi
    # shellcheck disable=SC2094 # The server appends its access log and its errors to one file.
    setsid /usr/bin/python3 "$TESTBED_DIR/repo_server.py" --bind "$HOST_IP" --port 443 \
        --cert "$run/tls/server.crt" --key "$run/tls/server.key" --root "$run/www" \
        --log "$run/server.log" </dev/null >>"$run/server.log" 2>&1 &
    printf '%s\n' "$!" >"$run/server.pid"
    for _ in $(seq 1 50); do
        if ! pid_alive "$!"; then
            tail -n 5 "$run/server.log" >&2
            die "the repository server of $BED_NAME exited, see $run/server.log"
        fi
        if curl -sf -o /dev/null --cacert "$run/tls/ca.crt" \
            --resolve "$REPO_HOST:443:$HOST_IP" "https://$REPO_HOST/"; then
            return 0
        fi
        sleep 0.1
    done
    die "the repository server of $BED_NAME did not respond on https://$HOST_IP:443/ within 5s," \
        "see $run/server.log"
}

# Stop the HTTPS server of the bed whose run folder is $1, by its recorded PID.
stop_repo_server() {
    local run=$1 pid
    if pid=$(live_pid_from_file "$run/server.pid") &&
        grep -qF "$TESTBED_DIR/repo_server.py" "/proc/$pid/cmdline" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do
            pid_alive "$pid" || break
            sleep 0.1
        done
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$run/server.pid"
}

mkdir -p "$TESTBED_CACHE" "$TESTBED_RUN"
