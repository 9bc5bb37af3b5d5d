# lib-sid-go.sh: a private Go toolchain and GOPATH made of Debian sid packages.
#
# Sourced by build-step-ca.sh and build-step-standin.sh. Debian ships neither
# step-ca nor the modern step CLI as a binary, but sid packages their Go sources
# (golang-*-dev) and a recent Go toolchain. This library downloads those .debs
# through a private apt configuration (own sources.list, lists, cache and an
# empty dpkg status) and unpacks them with dpkg-deb -x, so nothing from sid is
# installed on the host. Builds then run in GOPATH mode (GO111MODULE=off)
# against /usr/share/gocode of the unpacked tree.
#
# Layout under ${STEPWIZARD_DEV_CACHE:-/var/cache/stepwizard-dev}:
#   bin/            built binaries and their manifests
#   work/apt/       private apt configuration, lists and dumpavail snapshot
#   work/debs/      downloaded .debs, kept as a cache for the next build
#   work/src/       source package files (.orig tarballs)
#   work/root/      the unpacked .debs (Go toolchain and GOPATH sources)
#   work/overlay/   a GOPATH entry searched before the Debian one
#   work/gocache/   GOCACHE shared by both builds
#
# Environment: STEPWIZARD_DEV_CACHE, SIDGO_MIRROR (default deb.debian.org),
# SIDGO_SUITE (default sid), SIDGO_REFRESH=1 to refresh apt lists that are
# younger than a day, INSTALL_PREREQS=0 to fail instead of installing host
# packages.

SIDGO_CACHE=${STEPWIZARD_DEV_CACHE:-/var/cache/stepwizard-dev}
SIDGO_BIN=$SIDGO_CACHE/bin
SIDGO_WORK=$SIDGO_CACHE/work
SIDGO_MIRROR=${SIDGO_MIRROR:-http://deb.debian.org/debian}
SIDGO_SUITE=${SIDGO_SUITE:-sid}
SIDGO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Packages whose golang-* closure makes up the shared tree, together with the
# Build-Depends of SIDGO_SOURCE_PACKAGE. Both builds use the same tree so that
# the second build downloads and unpacks nothing.
# crypto11 backs the pkcs11 KMS of go.step.sm/crypto. promptui, urfave/cli and
# cli-utils are the stand-in's prompt and command-line libraries.
SIDGO_SOURCE_PACKAGE=golang-github-smallstep-certificates
SIDGO_ROOTS=(
    golang-go
    golang-github-smallstep-certificates-dev
    golang-github-thalesignite-crypto11-dev
    golang-github-smallstep-cli-utils-dev
    golang-github-manifoldco-promptui-dev
    golang-github-urfave-cli-dev
)

SIDGO_T0=$(date +%s)

sidgo_log() {
    printf '[%s +%ss] %s\n' "$(date -u +%H:%M:%S)" "$(($(date +%s) - SIDGO_T0))" "$*" >&2
}

sidgo_die() {
    sidgo_log "ERROR: $*"
    exit 1
}

# Install missing host (bookworm) packages the builds need: gcc and the pcsclite
# headers for the cgo parts of the yubikey KMS, xz for the source tarball and
# the archive keyring that signs sid's lists.
sidgo_require_host_packages() {
    local missing=() package
    for package in gcc libc6-dev libpcsclite-dev pkgconf xz-utils debian-archive-keyring python3; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$package")
        fi
    done
    ((${#missing[@]})) || return 0
    if [ "${INSTALL_PREREQS:-1}" != 1 ]; then
        sidgo_die "missing host packages: ${missing[*]} (install them or unset INSTALL_PREREQS=0)"
    fi
    sidgo_log "installing host packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || sidgo_die "apt-get install ${missing[*]} failed"
}

# Serialise builds that share the work directory. The lock is released when
# the calling script exits.
sidgo_lock() {
    mkdir -p "$SIDGO_WORK" "$SIDGO_BIN"
    exec 9>"$SIDGO_WORK/.lock"
    if ! flock -n 9; then
        sidgo_log "waiting for another build holding $SIDGO_WORK/.lock"
        flock 9
    fi
}

# Write the private apt configuration and export APT_CONFIG for this shell.
# The lists are refreshed when missing, older than a day or when SIDGO_REFRESH=1.
sidgo_apt_setup() {
    local apt_dir=$SIDGO_WORK/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/prefs.d" \
        "$SIDGO_WORK/debs" "$SIDGO_WORK/src"
    : >"$apt_dir/status"
    : >"$apt_dir/preferences"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    cat >"$apt_dir/sources.list" <<EOF
deb [signed-by=$keyring] $SIDGO_MIRROR $SIDGO_SUITE main
deb-src [signed-by=$keyring] $SIDGO_MIRROR $SIDGO_SUITE main
EOF
    cat >"$apt_dir/apt.conf" <<EOF
Dir::Etc::sourcelist "$apt_dir/sources.list";
Dir::Etc::sourceparts "-";
Dir::Etc::preferences "$apt_dir/preferences";
Dir::Etc::preferencesparts "$apt_dir/prefs.d";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Architecture "amd64";
APT::Sandbox::User "root";
Acquire::Languages "none";
EOF
    export APT_CONFIG=$apt_dir/apt.conf

    local stamp=$apt_dir/lists/.updated
    if [ "${SIDGO_REFRESH:-0}" = 1 ] || [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
        sidgo_log "apt-get update ($SIDGO_SUITE from $SIDGO_MIRROR, private lists)"
        # --error-on=any: a failed download or a bad signature must stop the build.
        apt-get -qq --error-on=any update || sidgo_die "apt-get update of $SIDGO_SUITE failed"
        touch "$stamp"
        apt-cache dumpavail >"$apt_dir/dumpavail.txt"
    else
        sidgo_log "apt lists of $SIDGO_SUITE are less than a day old (SIDGO_REFRESH=1 refreshes them)"
    fi
    [ -s "$apt_dir/dumpavail.txt" ] || apt-cache dumpavail >"$apt_dir/dumpavail.txt"
}

# Download the .orig tarball of source package $1 at Debian version $2, check
# it against the sha256 in the Sources index and print its path.
sidgo_fetch_orig() {
    local source=$1 version=$2
    local upstream=${version%-*}
    upstream=${upstream#*:}
    local stanza
    stanza=$(apt-cache showsrc --only-source "$source" \
        | awk -v v="$version" 'BEGIN { RS = "" } $0 ~ "\nVersion: " v "\n" { print; exit }')
    [ -n "$stanza" ] || sidgo_die "$SIDGO_SUITE has no source package $source $version"

    local orig expected actual
    orig=$(printf '%s\n' "$stanza" | awk -v p="${source}_${upstream}.orig.tar." '
        /^Checksums-Sha256:/ { in_list = 1; next }
        /^[^ ]/ { in_list = 0 }
        in_list && index($3, p) == 1 { print $3; exit }')
    expected=$(printf '%s\n' "$stanza" | awk -v f="$orig" '
        /^Checksums-Sha256:/ { in_list = 1; next }
        /^[^ ]/ { in_list = 0 }
        in_list && $3 == f { print $1; exit }')
    [ -n "$orig" ] && [ -n "$expected" ] || sidgo_die "no .orig tarball listed for $source $version"

    local path=$SIDGO_WORK/src/$orig
    if [ ! -s "$path" ] || [ "$(sha256sum "$path" | cut -d' ' -f1)" != "$expected" ]; then
        sidgo_log "downloading $orig"
        rm -f "$path"
        # Only the .orig tarball is needed. apt-get source may fail on the
        # .dsc or the .debian.tar.xz, so the tarball's checksum decides.
        (cd "$SIDGO_WORK/src" && apt-get -qq source --download-only "$source=$version") >&2 \
            || sidgo_log "apt-get source reported errors; checking the .orig tarball alone"
    fi
    [ -s "$path" ] || sidgo_die "download of $orig failed"
    actual=$(sha256sum "$path" | cut -d' ' -f1)
    [ "$actual" = "$expected" ] || sidgo_die "sha256 of $orig is $actual, the Sources index lists $expected"
    printf '%s\n' "$path"
}

# Resolve the closure of SIDGO_ROOTS and the Build-Depends of
# SIDGO_SOURCE_PACKAGE, download missing .debs and unpack them into work/root
# unless the same closure is unpacked there already.
sidgo_prepare_tree() {
    local build_depends
    build_depends=$(apt-cache showsrc --only-source "$SIDGO_SOURCE_PACKAGE" | sed -n 's/^Build-Depends: //p' | head -1)
    [ -n "$build_depends" ] || sidgo_die "$SIDGO_SUITE has no source package $SIDGO_SOURCE_PACKAGE"
    /usr/bin/python3 "$SIDGO_LIB_DIR/sid_closure.py" --build-depends "$build_depends" "${SIDGO_ROOTS[@]}" \
        <"$SIDGO_WORK/apt/dumpavail.txt" >"$SIDGO_WORK/closure.new" \
        || sidgo_die "resolving the golang-* closure failed"
    mv "$SIDGO_WORK/closure.new" "$SIDGO_WORK/closure.txt"
    sidgo_log "closure: $(wc -l <"$SIDGO_WORK/closure.txt") golang-* packages"

    local wanted=() package version file
    while read -r package version file; do
        [ -s "$SIDGO_WORK/debs/$file" ] || wanted+=("$package=$version")
    done <"$SIDGO_WORK/closure.txt"
    if ((${#wanted[@]})); then
        sidgo_log "downloading ${#wanted[@]} .debs into $SIDGO_WORK/debs"
        (cd "$SIDGO_WORK/debs" && apt-get -qq download "${wanted[@]}") || sidgo_die "apt-get download failed"
    else
        sidgo_log "all .debs are in the cache $SIDGO_WORK/debs"
    fi

    local closure_hash
    closure_hash=$(sha256sum "$SIDGO_WORK/closure.txt" | cut -d' ' -f1)
    if [ "$(cat "$SIDGO_WORK/root/.closure-sha256" 2>/dev/null)" != "$closure_hash" ]; then
        sidgo_log "unpacking the .debs into $SIDGO_WORK/root"
        rm -rf "$SIDGO_WORK/root" "$SIDGO_WORK/gocache"
        mkdir -p "$SIDGO_WORK/root"
        while read -r package version file; do
            [ -s "$SIDGO_WORK/debs/$file" ] || sidgo_die "missing $SIDGO_WORK/debs/$file"
            dpkg-deb -x "$SIDGO_WORK/debs/$file" "$SIDGO_WORK/root"
        done <"$SIDGO_WORK/closure.txt"
        echo "$closure_hash" >"$SIDGO_WORK/root/.closure-sha256"
    else
        sidgo_log "the unpacked tree in $SIDGO_WORK/root matches the closure"
    fi

    # go.step.sm/crypto/kms/pkcs11 imports github.com/ThalesGroup/crypto11, the
    # library's current name. Debian packages it under its old name ThalesIgnite.
    mkdir -p "$SIDGO_WORK/overlay/src/github.com/ThalesGroup"
    ln -sfn "$SIDGO_WORK/root/usr/share/gocode/src/github.com/ThalesIgnite/crypto11" \
        "$SIDGO_WORK/overlay/src/github.com/ThalesGroup/crypto11"
}

# Export the environment for a GOPATH-mode build with the unpacked toolchain.
sidgo_go_env() {
    local goroot
    goroot=$(find "$SIDGO_WORK/root/usr/lib" -maxdepth 1 -name 'go-1.*' | sort -V | tail -1)
    [ -n "$goroot" ] && [ -x "$goroot/bin/go" ] || sidgo_die "no Go toolchain unpacked under $SIDGO_WORK/root/usr/lib"
    export GOROOT=$goroot
    export GOPATH=$SIDGO_WORK/overlay:$SIDGO_WORK/root/usr/share/gocode
    export GOCACHE=$SIDGO_WORK/gocache
    export GO111MODULE=off GOTOOLCHAIN=local GOPROXY=off GOFLAGS= CGO_ENABLED=1
    export PATH=$GOROOT/bin:$PATH
}

# Print the sha256 of the given files and strings, used as a recipe stamp.
sidgo_recipe_hash() {
    {
        local item
        for item in "$@"; do
            if [ -f "$item" ]; then sha256sum "$item"; else printf '%s\n' "$item"; fi
        done
    } | sha256sum | cut -d' ' -f1
}
