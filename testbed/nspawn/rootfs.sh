#!/bin/bash
# Usage: testbed/nspawn/rootfs.sh
#
# Build the Debian bookworm root filesystem of the test bed with debootstrap and cache it as
# $STEPWIZARD_DEV_CACHE/testbed/rootfs-bookworm-<recipe hash>.tar.zst (default cache:
# /var/cache/stepwizard-dev). The hash covers this script, so any change to the package list or
# the customisation below builds a new tarball. An unchanged recipe reuses the cached one.
# Prints the tarball's path on stdout. Installs missing host tools with apt-get. Runs as root.
#
# The image contains no secret and no per-bed data: up.sh adds SSH host keys, the machine id, the
# deploy user's authorized key, the trusted test CA and the apt sources when it starts a bed.

. "$(dirname "$0")/lib.sh"

SUITE=bookworm
# Packages on top of minbase: what a fresh Debian server has and what the wizard drives
# (apt over HTTPS, gpg, sudo, systemd, ssh). debootstrap installs these itself.
BASE_PACKAGES=(
    systemd systemd-sysv dbus openssh-server sudo ca-certificates curl gpg jq openssl
    iproute2 procps less
)
# Python packages go in with apt-get in a second stage, because debootstrap configures them out
# of order and fails (python3-cryptography before python3). certbot is there for the end-to-end
# tests, which run its http-01 standalone client inside the bed against the CA.
APT_PACKAGES=(python3 python3-venv certbot)

require_root

recipe_hash=$(sha256sum "$0" | cut -c1-16)
tarball=$TESTBED_CACHE/rootfs-$SUITE-$recipe_hash.tar.zst

if [[ -s $tarball ]]; then
    printf '%s\n' "$tarball"
    exit 0
fi

# Two beds started at once on a cold cache build the image only once.
exec 7>"$TESTBED_CACHE/.rootfs.lock"
flock 7
if [[ -s $tarball ]]; then
    printf '%s\n' "$tarball"
    exit 0
fi

ensure_host_packages
mirror=$(host_debian_mirror)
build_dir=$(mktemp -d "$TESTBED_CACHE/rootfs-build.XXXXXX")
trap 'rm -rf --one-file-system "$build_dir"' EXIT
root=$build_dir/root

log "debootstrap $SUITE from $mirror (log: $TESTBED_CACHE/debootstrap.log)"
packages_csv=$(IFS=,; printf '%s' "${BASE_PACKAGES[*]}")
if ! debootstrap --variant=minbase --include="$packages_csv" "$SUITE" "$root" "$mirror" \
    >"$TESTBED_CACHE/debootstrap.log" 2>&1; then
    # debootstrap keeps the detailed log inside the root, which the EXIT trap deletes.
    cat "$root/debootstrap/debootstrap.log" >>"$TESTBED_CACHE/debootstrap.log" 2>/dev/null || true
    tail -n 20 "$TESTBED_CACHE/debootstrap.log" >&2
    die "debootstrap failed, see $TESTBED_CACHE/debootstrap.log"
fi

log "apt-get install ${APT_PACKAGES[*]}"
# No service may start inside the build root, and maintainer scripts expect /proc.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true; rm -rf --one-file-system "$build_dir"' EXIT
if ! chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${APT_PACKAGES[@]}" >>"$TESTBED_CACHE/debootstrap.log" 2>&1; then
    tail -n 20 "$TESTBED_CACHE/debootstrap.log" >&2
    die "apt-get install in the build root failed, see $TESTBED_CACHE/debootstrap.log"
fi
umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d"

log "customising the image"
# The deploy account is how the admin reaches the host: no password (locked by useradd),
# SSH keys only, passwordless sudo as the wizard expects.
chroot "$root" useradd --create-home --shell /bin/bash deploy
chroot "$root" install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
printf 'deploy ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$root/etc/sudoers.d/deploy"
chmod 0440 "$root/etc/sudoers.d/deploy"

cat >"$root/etc/ssh/sshd_config.d/testbed.conf" <<'EOF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
PubkeyAuthentication yes
EOF

# Per-bed secrets and identity are made by up.sh, so no two beds share host keys or a machine id.
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

# The bed has no route to Debian's mirror: up.sh points apt at the stand-in served on the
# host side, and stale package lists from the build would only mislead apt.
: >"$root/etc/apt/sources.list"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb

# A container has no consoles to serve and no clock to set, and certbot's renewal timer
# would only add noise to the tests that run certbot themselves.
chroot "$root" systemctl mask --quiet getty@tty1.service systemd-timesyncd.service \
    systemd-firstboot.service certbot.timer 2>/dev/null || true

tmp_tarball=$tarball.tmp.$$
tar -C "$root" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$tmp_tarball"
mv "$tmp_tarball" "$tarball"
find "$TESTBED_CACHE" -maxdepth 1 -name "rootfs-$SUITE-*.tar.zst" ! -path "$tarball" -delete
log "cached $tarball ($(du -h "$tarball" | cut -f1))"
printf '%s\n' "$tarball"
