#!/bin/bash
# build-step-standin.sh: build the test stand-in for the modern step CLI.
#
# The stand-in's Go sources live in step-standin/ beside this script. They are
# built in GOPATH mode with the same private Debian sid toolchain and
# golang-*-dev tree as build-step-ca.sh (see lib-sid-go.sh), so the stand-in
# links the very smallstep libraries that the step-ca binary uses.
#
# Output, outside the clone:
#   ${STEPWIZARD_DEV_CACHE:-/var/cache/stepwizard-dev}/bin/step
#   .../bin/step.manifest   toolchain, library versions and sha256
#   .../bin/step.stamp      hash of the recipe and sources; with the binary
#                           present and the same hash, the script exits at once
#
# Environment: FORCE=1 to rebuild although the stamp matches, plus the
# variables lib-sid-go.sh reads.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib-sid-go.sh
source "$TESTBED_DIR/lib-sid-go.sh"

SOURCE_DIR=$TESTBED_DIR/step-standin
IMPORT_PATH=stepwizard.test/step-standin
STEP_VERSION=0.30.2
BINARY=$SIDGO_BIN/step
STAMP=$SIDGO_BIN/step.stamp
MANIFEST=$SIDGO_BIN/step.manifest

mapfile -t sources < <(find "$SOURCE_DIR" -maxdepth 1 -name '*.go' | sort)
((${#sources[@]})) || sidgo_die "no Go sources in $SOURCE_DIR"

recipe=$(sidgo_recipe_hash "$TESTBED_DIR/build-step-standin.sh" "$TESTBED_DIR/lib-sid-go.sh" \
    "$TESTBED_DIR/sid_closure.py" "$STEP_VERSION" "$SIDGO_SUITE" "${sources[@]}")
if [ "${FORCE:-0}" != 1 ] && [ -x "$BINARY" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$recipe" ]; then
    sidgo_log "step stand-in is up to date: $BINARY (FORCE=1 rebuilds it)"
    exit 0
fi

sidgo_require_host_packages
sidgo_lock
sidgo_apt_setup
sidgo_prepare_tree

# Copy the sources into the overlay GOPATH entry: GOPATH mode builds only
# packages that sit under a GOPATH src directory.
package_dir=$SIDGO_WORK/overlay/src/$IMPORT_PATH
rm -rf "$package_dir"
mkdir -p "$package_dir"
cp "${sources[@]}" "$package_dir/"

sidgo_go_env
sidgo_log "$(go version): go vet and go build $IMPORT_PATH"
go vet "$IMPORT_PATH"
build_time=$(date -u '+%Y-%m-%d %H:%M UTC')
go build -o "$BINARY.new" \
    -ldflags "-X main.Version=$STEP_VERSION -X 'main.BuildTime=$build_time'" \
    "$IMPORT_PATH"
mv "$BINARY.new" "$BINARY"
"$BINARY" version >&2

{
    echo "step test stand-in (imitates step $STEP_VERSION) built $(date -u '+%F %T UTC')"
    echo "sources: $SOURCE_DIR"
    for file in "${sources[@]}"; do
        echo "  $(sha256sum "$file" | cut -d' ' -f1)  $(basename "$file")"
    done
    echo "toolchain: $(go version)"
    echo "binary sha256: $(sha256sum "$BINARY" | cut -d' ' -f1)"
    echo "golang-* packages from $SIDGO_SUITE (package version file):"
    sed 's/^/  /' "$SIDGO_WORK/closure.txt"
} >"$MANIFEST"
echo "$recipe" >"$STAMP"
sidgo_log "done: $BINARY (manifest: $MANIFEST)"
