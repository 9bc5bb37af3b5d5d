#!/bin/bash
# build-step-ca.sh: build the real step-ca (smallstep/certificates) from Debian sid.
#
# The binary is built from sid's source package golang-github-smallstep-certificates
# (cmd/step-ca/main.go from its .orig tarball, because the -dev package leaves out
# cmd/) against sid's golang-*-dev packages and sid's Go toolchain, all unpacked
# privately by lib-sid-go.sh. Nothing from sid is installed on the host.
#
# Output, outside the clone:
#   ${STEPWIZARD_DEV_CACHE:-/var/cache/stepwizard-dev}/bin/step-ca
#   .../bin/step-ca.manifest   versions of every package used and sha256 sums
#   .../bin/step-ca.stamp      hash of the recipe; with the binary present and
#                              the same hash, the script exits at once
#
# Environment: STEP_CA_DEBIAN_VERSION (default 0.30.2-1), FORCE=1 to rebuild
# although the stamp matches, plus the variables lib-sid-go.sh reads.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib-sid-go.sh
source "$TESTBED_DIR/lib-sid-go.sh"

SOURCE_PACKAGE=$SIDGO_SOURCE_PACKAGE
DEBIAN_VERSION=${STEP_CA_DEBIAN_VERSION:-0.30.2-1}
UPSTREAM_VERSION=${DEBIAN_VERSION%-*}

# Plugin imports of main.go that cannot be built from Debian packages:
#   cas/cloudcas, cas/vaultcas  Debian's -dev package leaves them out
#                               (DH_GOLANG_EXCLUDES in its debian/rules).
#   kms/azurekms                needs the Azure SDK for Go (azcore, azidentity,
#                               azkeys), which Debian does not package.
#   kms/tpmkms                  needs smallstep's go-attestation fork and
#                               schollz/jsonstore, which Debian does not package.
# The CA runs without them: they only add Google CAS, Vault, Azure Key Vault
# and TPM key back-ends.
REMOVED_PLUGINS=(
    github.com/smallstep/certificates/cas/cloudcas
    github.com/smallstep/certificates/cas/vaultcas
    go.step.sm/crypto/kms/azurekms
    go.step.sm/crypto/kms/tpmkms
)

BINARY=$SIDGO_BIN/step-ca
STAMP=$SIDGO_BIN/step-ca.stamp
MANIFEST=$SIDGO_BIN/step-ca.manifest

recipe=$(sidgo_recipe_hash "$TESTBED_DIR/build-step-ca.sh" "$TESTBED_DIR/lib-sid-go.sh" \
    "$TESTBED_DIR/sid_closure.py" "$DEBIAN_VERSION" "$SIDGO_SUITE" "${REMOVED_PLUGINS[*]}")
if [ "${FORCE:-0}" != 1 ] && [ -x "$BINARY" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$recipe" ]; then
    sidgo_log "step-ca is up to date: $BINARY (FORCE=1 rebuilds it)"
    exit 0
fi

sidgo_require_host_packages
sidgo_lock
sidgo_apt_setup

available=$(apt-cache showsrc --only-source "$SOURCE_PACKAGE" | sed -n 's/^Version: //p' | sort -V | tr '\n' ' ')
case " $available " in
*" $DEBIAN_VERSION "*) ;;
*) sidgo_die "$SIDGO_SUITE has $SOURCE_PACKAGE ${available:-in no version}, not $DEBIAN_VERSION (set STEP_CA_DEBIAN_VERSION)" ;;
esac
sidgo_log "building step-ca from $SOURCE_PACKAGE $DEBIAN_VERSION"

orig=$(sidgo_fetch_orig "$SOURCE_PACKAGE" "$DEBIAN_VERSION")
sidgo_log "verified $(basename "$orig")"
sidgo_prepare_tree

# The .deb's certificates package must match the source version, or main.go
# would be built against a different library.
dev_version=$(awk '$1 == "golang-github-smallstep-certificates-dev" { print $2 }' "$SIDGO_WORK/closure.txt")
[ "$dev_version" = "$DEBIAN_VERSION" ] \
    || sidgo_die "golang-github-smallstep-certificates-dev is $dev_version in $SIDGO_SUITE, the source is $DEBIAN_VERSION"

main_dir=$SIDGO_WORK/overlay/src/github.com/smallstep/certificates/cmd/step-ca
rm -rf "$SIDGO_WORK/overlay/src/github.com/smallstep/certificates"
mkdir -p "$main_dir"
extract_dir=$(mktemp -d)
trap 'rm -rf "$extract_dir"' EXIT
tar -xf "$orig" -C "$extract_dir" --wildcards '*/cmd/step-ca/main.go'
upstream_main=$(find "$extract_dir" -path '*/cmd/step-ca/main.go' | head -1)
[ -n "$upstream_main" ] || sidgo_die "$(basename "$orig") has no cmd/step-ca/main.go"

# The overlay holds only cmd/step-ca, so Go finds the library packages of
# github.com/smallstep/certificates in the Debian GOPATH entry.
cp "$upstream_main" "$main_dir/main.go"
for plugin in "${REMOVED_PLUGINS[@]}"; do
    grep -q "\"$plugin\"" "$main_dir/main.go" \
        || sidgo_die "main.go no longer imports $plugin: review REMOVED_PLUGINS"
    sed -i "\#\"$plugin\"#d" "$main_dir/main.go"
done
sidgo_log "removed plugin imports from main.go: ${REMOVED_PLUGINS[*]}"

sidgo_go_env
sidgo_log "$(go version): go build github.com/smallstep/certificates/cmd/step-ca"
build_time=$(date -u '+%Y-%m-%d %H:%M UTC')
go build -o "$BINARY.new" \
    -ldflags "-X main.Version=$UPSTREAM_VERSION -X 'main.BuildTime=$build_time'" \
    github.com/smallstep/certificates/cmd/step-ca
mv "$BINARY.new" "$BINARY"
"$BINARY" version >&2

{
    echo "step-ca $UPSTREAM_VERSION built $(date -u '+%F %T UTC') on $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "source: $SOURCE_PACKAGE $DEBIAN_VERSION, $(basename "$orig") sha256 $(sha256sum "$orig" | cut -d' ' -f1)"
    echo "toolchain: $(go version)"
    echo "plugin imports removed from main.go: ${REMOVED_PLUGINS[*]}"
    echo "binary sha256: $(sha256sum "$BINARY" | cut -d' ' -f1)"
    echo "golang-* packages from $SIDGO_SUITE (package version file):"
    sed 's/^/  /' "$SIDGO_WORK/closure.txt"
} >"$MANIFEST"
echo "$recipe" >"$STAMP"
sidgo_log "done: $BINARY (manifest: $MANIFEST)"
