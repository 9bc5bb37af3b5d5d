#!/bin/bash
# Usage: testbed/nspawn/up.sh NAME
#
# Boot a fresh Debian bookworm test bed NAME with systemd-nspawn and wait until sshd accepts
# the deploy user. The bed gets its own network namespace joined to the host by a veth pair
# (host 10.237.<index>.1, container 10.237.<index>.2), a writable overlay on the cached root
# filesystem (rootfs.sh builds it on first use), fresh SSH host keys, a throwaway client key,
# and a throwaway TLS CA that the container trusts. An HTTPS server on the host-side address
# serves https://packages.stepwizard.test/ to the container: a signed stand-in for Debian's
# mirror (packages the vendor packages depend on, such as libpcsclite1) from boot on, and the
# vendor repositories once repo.sh has built them.
#
# Everything lives in $STEPWIZARD_DEV_CACHE/testbed/run/NAME; its file "env" lists the bed's
# addresses and files as KEY=VALUE lines, and its ssh/config lets `ssh -F .../ssh/config NAME`
# log in as deploy. Stop the bed with down.sh NAME. If up.sh fails it runs down.sh itself.
#
# Environment: STEPWIZARD_TESTBED_DEBIAN_PACKAGES (default "libpcsclite1") names the Debian
# packages the mirror stand-in offers, downloaded once with the host's apt.

. "$(dirname "$0")/lib.sh"

BOOT_TIMEOUT=${STEPWIZARD_TESTBED_BOOT_TIMEOUT:-90}

(($# == 1)) || die "usage: $0 NAME"
BED_NAME=$1
validate_name "$BED_NAME"
require_root
run=$(run_dir_of "$BED_NAME")

if [[ -d $run ]]; then
    if live_pid_from_file "$run/nspawn.pid" >/dev/null; then
        die "test bed $BED_NAME is already running; stop it with $TESTBED_DIR/down.sh $BED_NAME"
    fi
    log "cleaning up what a previous run of $BED_NAME left"
    "$TESTBED_DIR/down.sh" "$BED_NAME"
fi

ensure_host_packages
tarball=$("$TESTBED_DIR/rootfs.sh")

original_cgroups=()
up_succeeded=false
cleanup_on_failure() {
    if ! $up_succeeded; then
        log "boot of $BED_NAME failed; removing what was set up"
        if [[ -s $run/console.log ]]; then
            log "last lines of $run/console.log:"
            tail -n 20 "$run/console.log" >&2 || true
        fi
        # Leave the bed's cgroups, or down.sh could not remove them.
        local dir
        for dir in "${original_cgroups[@]}"; do
            printf '%s\n' "$$" >"$dir/cgroup.procs" 2>/dev/null || true
        done
        "$TESTBED_DIR/down.sh" "$BED_NAME" || true
    fi
}
trap cleanup_on_failure EXIT

# Every process of the setup runs in the bed's cgroup "setup", so that down.sh can find and
# stop them if this script is killed halfway, for example by a test's timeout.
while read -r hierarchy; do
    original_cgroups+=("$hierarchy$(cgroup_path_of "$$" "$hierarchy")")
    mkdir -p "$hierarchy/$CGROUP_PARENT/$BED_NAME/setup"
    printf '%s\n' "$$" >"$hierarchy/$CGROUP_PARENT/$BED_NAME/setup/cgroup.procs"
done < <(cgroup_hierarchies)

# Pick the lowest free subnet index; the lock keeps two concurrent up.sh runs apart.
exec 9>"$TESTBED_RUN/.lock"
flock 9
index=
for candidate in $(seq 1 250); do
    if grep -qx "$candidate" "$TESTBED_RUN"/*/index 2>/dev/null ||
        ip link show "$(host_veth_of "$candidate")" >/dev/null 2>&1; then
        continue
    fi
    index=$candidate
    break
done
[[ -n $index ]] || die "no free test bed subnet left in $TESTBED_NET_PREFIX.1-250.0/30"
mkdir -p "$run"
printf '%s\n' "$index" >"$run/index"
flock -u 9
exec 9>&-

host_ip=$TESTBED_NET_PREFIX.$index.1
container_ip=$TESTBED_NET_PREFIX.$index.2
host_veth=$(host_veth_of "$index")
root=$run/root

cat >"$run/env" <<EOF
BED_NAME=$BED_NAME
BED_INDEX=$index
HOST_IP=$host_ip
CONTAINER_IP=$container_ip
HOST_VETH=$host_veth
NETNS=$BED_NAME
ROOT=$root
SSH_USER=deploy
SSH_CONFIG=$run/ssh/config
SSH_KEY=$run/ssh/id_ed25519
KNOWN_HOSTS=$run/ssh/known_hosts
REPO_HOST=$REPO_HOST
CA_CERT=$run/tls/ca.crt
SERVER_LOG=$run/server.log
CONSOLE_LOG=$run/console.log
EOF

log "network: netns $BED_NAME, $host_veth $host_ip <-> eth0 $container_ip"
ip netns add "$BED_NAME"
ip link add "$host_veth" type veth peer name eth0 netns "$BED_NAME"
ip addr add "$host_ip/30" dev "$host_veth"
ip link set "$host_veth" up
ip -n "$BED_NAME" link set lo up
ip -n "$BED_NAME" addr add "$container_ip/30" dev eth0
ip -n "$BED_NAME" link set eth0 up

# The bed's root is an overlay on a base extracted once per image, so starting a bed copies
# nothing and the base stays pristine for the next bed. Without overlayfs, extract a copy.
base=$TESTBED_CACHE/base-$(basename "$tarball" .tar.zst)
exec 8>"$TESTBED_CACHE/.base.lock"
flock 8
if [[ ! -d $base ]]; then
    log "extracting $(basename "$tarball")"
    rm -rf --one-file-system "$base.tmp"
    mkdir -p "$base.tmp"
    zstd -q -dc "$tarball" | tar -C "$base.tmp" --numeric-owner --xattrs -xpf -
    mv "$base.tmp" "$base"
fi
# Bases of older images go once no bed uses them.
for old_base in "$TESTBED_CACHE"/base-*; do
    [[ $old_base == "$base" || ! -d $old_base ]] && continue
    grep -qxF "ROOT_BASE=$old_base" "$TESTBED_RUN"/*/env 2>/dev/null || rm -rf --one-file-system "$old_base"
done
printf 'ROOT_BASE=%s\n' "$base" >>"$run/env"
flock -u 8
exec 8>&-

mkdir -p "$root" "$run/overlay/upper" "$run/overlay/work"
if ! mount -t overlay "stepwizard-testbed-$BED_NAME" \
    -o "lowerdir=$base,upperdir=$run/overlay/upper,workdir=$run/overlay/work" "$root"; then
    log "overlayfs is not available; extracting a copy of the image instead"
    zstd -q -dc "$tarball" | tar -C "$root" --numeric-owner --xattrs -xpf -
fi

# Identity of this bed: machine id, host name, SSH host keys.
tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"
printf '%s\n' "$BED_NAME" >"$root/etc/hostname"
cat >"$root/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	$BED_NAME
::1	localhost ip6-localhost ip6-loopback
$host_ip	$REPO_HOST
EOF
# The bed has no DNS server; an empty resolver list makes lookups fail at once.
printf '# The stepwizard test bed has no DNS; names come from /etc/hosts.\n' >"$root/etc/resolv.conf"
ssh-keygen -q -A -f "$root" >/dev/null

# The admin's throwaway login key and a client configuration that pins the bed's host key.
install -d -m 0700 "$run/ssh"
ssh-keygen -q -t ed25519 -N '' -C "stepwizard-testbed-$BED_NAME" -f "$run/ssh/id_ed25519"
deploy_ids=$(awk -F: '$1 == "deploy" {print $3 ":" $4}' "$root/etc/passwd")
install -m 0600 -o "${deploy_ids%:*}" -g "${deploy_ids#*:}" "$run/ssh/id_ed25519.pub" \
    "$root/home/deploy/.ssh/authorized_keys"
printf '%s %s\n' "$container_ip" "$(cut -d' ' -f1,2 "$root/etc/ssh/ssh_host_ed25519_key.pub")" \
    >"$run/ssh/known_hosts"
cat >"$run/ssh/config" <<EOF
Host $BED_NAME $container_ip
    HostName $container_ip
    User deploy
    IdentityFile $run/ssh/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $run/ssh/known_hosts
    StrictHostKeyChecking yes
    HostKeyAlgorithms ssh-ed25519
    PasswordAuthentication no
    BatchMode yes
    ConnectTimeout 5
    LogLevel ERROR
EOF

# A throwaway CA for the repository server; the container trusts its root like a public CA.
install -d -m 0700 "$run/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
    -subj "/CN=stepwizard test bed CA $BED_NAME" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$run/tls/ca.key" -out "$run/tls/ca.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$REPO_HOST" \
    -keyout "$run/tls/server.key" -out "$run/tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' \
    "$REPO_HOST" "$host_ip" >"$run/tls/server.ext"
openssl x509 -req -in "$run/tls/server.csr" -CA "$run/tls/ca.crt" -CAkey "$run/tls/ca.key" \
    -CAcreateserial -days 7 -extfile "$run/tls/server.ext" -out "$run/tls/server.crt" 2>/dev/null
cp "$run/tls/ca.crt" "$root/usr/local/share/ca-certificates/stepwizard-testbed-ca.crt"
chroot "$root" update-ca-certificates >/dev/null 2>&1 ||
    die "update-ca-certificates failed inside $root"

# The stand-in for Debian's mirror, so that apt inside the bed resolves the vendor packages'
# dependencies the way it would on a real host.
debs=$TESTBED_CACHE/debian-debs
mkdir -p "$debs"
read -r -a debian_packages <<<"${STEPWIZARD_TESTBED_DEBIAN_PACKAGES:-libpcsclite1}"
for package in "${debian_packages[@]}"; do
    compgen -G "$debs/${package}_*.deb" >/dev/null && continue
    log "downloading $package for the Debian mirror stand-in"
    (cd "$debs" && { apt-get download -q "$package" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && apt-get download -q "$package" >/dev/null; }; }) ||
        die "apt-get download $package failed on the host"
done
mkdir -p "$run/www/debian/pool/main"
for package in "${debian_packages[@]}"; do
    cp "$debs/${package}"_*.deb "$run/www/debian/pool/main/"
done
debian_key=$(make_gpg_key "$run/gnupg" "stepwizard test bed Debian mirror stand-in <debian@$REPO_HOST>")
publish_apt_repo "$run/www/debian" bookworm "$debian_key" "$run/gnupg" "stepwizard test bed Debian"
stop_gpg_agent "$run/gnupg"
mkdir -p "$root/etc/apt/keyrings"
gpg --homedir "$run/gnupg" --batch --armor --export "$debian_key" \
    >"$root/etc/apt/keyrings/stepwizard-testbed-debian.asc"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
# Stand-in for Debian's mirror, served by the test bed's host side.
Types: deb
URIs: https://$REPO_HOST/debian
Suites: bookworm
Components: main
Signed-By: /etc/apt/keyrings/stepwizard-testbed-debian.asc
EOF
start_repo_server "$run"

# Boot in a cgroup of the bed's own: nspawn creates its payload and supervisor groups below it.
cgroup_dirs=()
while read -r hierarchy; do
    mkdir -p "$hierarchy/$CGROUP_PARENT/$BED_NAME"
    cgroup_dirs+=("$hierarchy/$CGROUP_PARENT/$BED_NAME")
done < <(cgroup_hierarchies)
log "booting (console: $run/console.log)"
# The inner shell records its own PID, joins the bed's cgroups and becomes systemd-nspawn, so
# the recorded PID is nspawn's. setsid keeps the bed alive when the caller's session ends.
# shellcheck disable=SC2016 # $1, $$ and $@ belong to the inner shell.
setsid bash -c '
    pid_file=$1; shift
    while [[ $1 != -- ]]; do printf "%s\n" "$$" >"$1/cgroup.procs"; shift; done
    shift
    printf "%s\n" "$$" >"$pid_file"
    exec "$@"
' _ "$run/nspawn.pid" "${cgroup_dirs[@]}" -- \
    systemd-nspawn --directory="$root" --machine="$BED_NAME" --boot --register=no --keep-unit \
    --network-namespace-path="/run/netns/$BED_NAME" --console=pipe --resolv-conf=off \
    --link-journal=no </dev/null >"$run/console.log" 2>&1 &

nspawn_pid=
for _ in $(seq 1 50); do
    nspawn_pid=$(cat "$run/nspawn.pid" 2>/dev/null || true)
    [[ -n $nspawn_pid ]] && break
    sleep 0.1
done
[[ -n $nspawn_pid ]] || die "systemd-nspawn did not start within 5s, see $run/console.log"

# Wait for sshd, then for systemd to finish booting. A bed whose nspawn exits fails at once.
deadline=$((SECONDS + BOOT_TIMEOUT))
until ssh -F "$run/ssh/config" -o ConnectTimeout=2 "$BED_NAME" true 2>/dev/null; do
    pid_alive "$nspawn_pid" || die "systemd-nspawn exited during boot"
    ((SECONDS < deadline)) || die "sshd of $BED_NAME did not respond within ${BOOT_TIMEOUT}s;" \
        "raise STEPWIZARD_TESTBED_BOOT_TIMEOUT on a slow machine"
    sleep 0.3
done
# systemd in the container is the only child of nspawn; down.sh kills it if poweroff hangs.
init_pid=$(awk '{print $1}' "/proc/$nspawn_pid/task/$nspawn_pid/children" 2>/dev/null || true)
printf '%s\n' "$init_pid" >"$run/init.pid"

state=$(ssh -F "$run/ssh/config" "$BED_NAME" \
    "timeout $((deadline - SECONDS + 1)) systemctl is-system-running --wait" 2>/dev/null || true)
case $state in
running) ;;
degraded)
    log "warning: $BED_NAME booted degraded; failed units:"
    ssh -F "$run/ssh/config" "$BED_NAME" systemctl --failed --no-legend --plain >&2 || true
    ;;
*) die "systemd in $BED_NAME did not finish booting (state: ${state:-unknown})" ;;
esac

up_succeeded=true
log "$BED_NAME is up in ${SECONDS}s: ssh -F $run/ssh/config $BED_NAME"
cat "$run/env"
