#!/bin/bash
# Usage: testbed/nspawn/repo.sh [--ca-version V] [--cli-version V] NAME STEP_CA_BINARY STEP_BINARY
#
# Publish a stand-in for smallstep's apt repository to running test bed NAME (see up.sh).
# It packages STEP_CA_BINARY as step-ca_<V>_amd64.deb (/usr/bin/step-ca, Depends: libpcsclite1)
# and STEP_BINARY as step-cli_<V>_amd64.deb (/usr/bin/step), signs the repository with a
# throwaway OpenPGP key and serves it from the bed's HTTPS server (started if it is not running):
#
#   https://packages.stepwizard.test/stable/debian            Suites: debs, Components: main
#   https://packages.stepwizard.test/keys/apt/repo-signing-key.gpg   the signing key, armoured
#   https://packages.stepwizard.test/wrong-key/stable/debian  the same packages signed by a
#       different key than .../wrong-key/keys/apt/repo-signing-key.gpg, which is the key above
#   https://packages.stepwizard.test:8443/stable/debian       unreachable: nothing listens there
#
# Versions default to what `BINARY version` prints; pass them for binaries without that command.
# Writes the URLs and the key's fingerprint as KEY=VALUE lines to run/NAME/repo.env and stdout.
# Built packages are cached by binary hash in $STEPWIZARD_DEV_CACHE/testbed/vendor-debs.

. "$(dirname "$0")/lib.sh"

ca_version=
cli_version=
while (($# > 0)); do
    case $1 in
    --ca-version) ca_version=${2:?--ca-version needs a value}; shift 2 ;;
    --cli-version) cli_version=${2:?--cli-version needs a value}; shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option '$1'; usage: $0 [--ca-version V] [--cli-version V] NAME STEP_CA STEP" ;;
    *) break ;;
    esac
done
(($# == 3)) || die "usage: $0 [--ca-version V] [--cli-version V] NAME STEP_CA_BINARY STEP_BINARY"
BED_NAME=$1
step_ca_binary=$2
step_binary=$3
validate_name "$BED_NAME"
require_root
run=$(run_dir_of "$BED_NAME")
[[ -s $run/env ]] || die "test bed $BED_NAME is not up; start it with $TESTBED_DIR/up.sh $BED_NAME"
for binary in "$step_ca_binary" "$step_binary"; do
    [[ -f $binary && -x $binary ]] || die "'$binary' is not an executable file"
done

# Print the x.y.z version that `$1 version` reports, such as 0.30.2 from "Smallstep CA/0.30.2".
binary_version() {
    timeout 10 "$1" version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true
}

[[ -n $ca_version ]] || ca_version=$(binary_version "$step_ca_binary")
[[ -n $cli_version ]] || cli_version=$(binary_version "$step_binary")
[[ -n $ca_version ]] || die "cannot read the version of $step_ca_binary; pass --ca-version"
[[ -n $cli_version ]] || die "cannot read the version of $step_binary; pass --cli-version"

# Build package $1 version $2 that installs binary $3 as /usr/bin/$4, with Depends $5 (may be
# empty), unless the cache has one built from the same binary. Prints the .deb's path.
build_deb() {
    local package=$1 version=$2 binary=$3 installed_name=$4 depends=$5
    local binary_hash deb stage
    binary_hash=$(sha256sum "$binary" | cut -c1-16)
    deb=$TESTBED_CACHE/vendor-debs/$binary_hash/${package}_${version}_amd64.deb
    if [[ ! -s $deb ]]; then
        stage=$(mktemp -d "$TESTBED_CACHE/deb-stage.XXXXXX")
        install -D -m 0755 "$binary" "$stage/usr/bin/$installed_name"
        mkdir -p "$stage/DEBIAN"
        {
            printf 'Package: %s\nVersion: %s\nArchitecture: amd64\n' "$package" "$version"
            printf 'Maintainer: stepwizard test bed <testbed@%s>\n' "$REPO_HOST"
            [[ -n $depends ]] && printf 'Depends: %s\n' "$depends"
            printf 'Section: utils\nPriority: optional\n'
            printf 'Installed-Size: %s\n' "$(du -sk "$stage/usr" | cut -f1)"
            printf 'Description: %s for the stepwizard test bed\n' "$installed_name"
            printf ' Stand-in for the package of the same name in smallstep'"'"'s apt repository.\n'
        } >"$stage/DEBIAN/control"
        mkdir -p "$(dirname "$deb")"
        dpkg-deb --root-owner-group -Zgzip -z1 --build "$stage" "$deb.tmp" >/dev/null
        mv "$deb.tmp" "$deb"
        rm -rf "$stage"
    fi
    touch "$(dirname "$deb")"
    printf '%s\n' "$deb"
}

# Print the fingerprint of the key with user id $2 in GNUPGHOME $1, creating the key if needed.
signing_key() {
    local home=$1 user_id=$2 fingerprint
    fingerprint=$(gpg --homedir "$home" --batch --with-colons --list-keys "=$user_id" 2>/dev/null |
        awk -F: '/^fpr:/ {print $10; exit}')
    [[ -n $fingerprint ]] || fingerprint=$(make_gpg_key "$home" "$user_id")
    printf '%s\n' "$fingerprint"
}

# Lay out repository $1 with the packages, signed by key $2, and serve key $3 beside it.
publish_vendor_repo() {
    local site=$1 signing_fingerprint=$2 served_fingerprint=$3
    local repo=$site/stable/debian
    rm -rf "$repo"
    mkdir -p "$repo/pool/main/s/step-ca" "$repo/pool/main/s/step-cli" "$site/keys/apt"
    ln "$ca_deb" "$repo/pool/main/s/step-ca/" 2>/dev/null || cp "$ca_deb" "$repo/pool/main/s/step-ca/"
    ln "$cli_deb" "$repo/pool/main/s/step-cli/" 2>/dev/null || cp "$cli_deb" "$repo/pool/main/s/step-cli/"
    publish_apt_repo "$repo" debs "$signing_fingerprint" "$run/gnupg" "stepwizard test bed smallstep"
    gpg --homedir "$run/gnupg" --batch --armor --export "$served_fingerprint" \
        >"$site/keys/apt/repo-signing-key.gpg"
}

# Packages of binaries that no run has used for two days are from older builds.
mkdir -p "$TESTBED_CACHE/vendor-debs"
find "$TESTBED_CACHE/vendor-debs" -mindepth 1 -maxdepth 1 -type d -mtime +2 -exec rm -rf {} +

ca_deb=$(build_deb step-ca "$ca_version" "$step_ca_binary" step-ca libpcsclite1)
cli_deb=$(build_deb step-cli "$cli_version" "$step_binary" step "")

vendor_key=$(signing_key "$run/gnupg" "stepwizard test bed smallstep stand-in <smallstep@$REPO_HOST>")
wrong_key=$(signing_key "$run/gnupg" "stepwizard test bed wrong key <wrong@$REPO_HOST>")
publish_vendor_repo "$run/www" "$vendor_key" "$vendor_key"
publish_vendor_repo "$run/www/wrong-key" "$wrong_key" "$vendor_key"
stop_gpg_agent "$run/gnupg"
start_repo_server "$run"

cat >"$run/repo.env" <<EOF
REPO_URL=https://$REPO_HOST/stable/debian
KEY_URL=https://$REPO_HOST/keys/apt/repo-signing-key.gpg
KEY_FINGERPRINT=$vendor_key
WRONG_KEY_REPO_URL=https://$REPO_HOST/wrong-key/stable/debian
WRONG_KEY_KEY_URL=https://$REPO_HOST/wrong-key/keys/apt/repo-signing-key.gpg
WRONG_KEY_SIGNING_FINGERPRINT=$wrong_key
UNREACHABLE_REPO_URL=https://$REPO_HOST:$UNREACHABLE_PORT/stable/debian
UNREACHABLE_KEY_URL=https://$REPO_HOST:$UNREACHABLE_PORT/keys/apt/repo-signing-key.gpg
STEP_CA_VERSION=$ca_version
STEP_CLI_VERSION=$cli_version
EOF
printf '%s\n' "$vendor_key" >"$run/repo-key-fingerprint"
log "published step-ca $ca_version and step-cli $cli_version to $BED_NAME"
cat "$run/repo.env"
