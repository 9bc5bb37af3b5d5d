#!/bin/bash
# check-binaries.sh: smoke test of the real step-ca and the step stand-in.
#
# Builds both binaries when their cache is stale (the build scripts return at
# once otherwise), then in a temporary STEPPATH:
#   1. step ca init --remote-management --acme with password files,
#   2. starts the real step-ca on 127.0.0.1:<free port> and waits for
#      `step ca health` to print "ok",
#   3. changes the ACME provisioner's durations through the admin API and reads
#      them back with `step ca provisioner list`,
#   4. fetches the ACME directory with curl and the root bootstrap flow,
#   5. stops step-ca by PID and checks the ca.json fallback of a CA without
#      remote management.
# Only loopback addresses are used. Prints one line per check and
# "N passed, N failed"; exits 1 when a check failed.
#
# Environment: STEPWIZARD_DEV_CACHE (where the binaries are), SKIP_BUILD=1 to
# use the cached binaries as they are.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN_DIR=${STEPWIZARD_DEV_CACHE:-/var/cache/stepwizard-dev}/bin

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    bash "$TESTBED_DIR/build-step-ca.sh"
    bash "$TESTBED_DIR/build-step-standin.sh"
fi
for binary in step step-ca; do
    [ -x "$BIN_DIR/$binary" ] || { echo "missing $BIN_DIR/$binary: run the build scripts" >&2; exit 1; }
done
export PATH=$BIN_DIR:$PATH

WORK=$(mktemp -d /tmp/stepwizard-check.XXXXXX)
CA_PID=""
cleanup() {
    if [ -n "$CA_PID" ] && kill -0 "$CA_PID" 2>/dev/null; then
        kill "$CA_PID"
        wait "$CA_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

passed=0
failed=0
check() {
    local description=$1
    shift
    if "$@" >>"$WORK/checks.log" 2>&1; then
        echo "ok:   $description"
        passed=$((passed + 1))
    else
        echo "FAIL: $description (output in the log below)"
        failed=$((failed + 1))
        tail -n 20 "$WORK/checks.log" | sed 's/^/      /'
    fi
}

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# json_value FILE EXPRESSION: print a value of a JSON document, for example
# json_value list.json '[p for p in doc if p["name"] == "acme"][0]["claims"]'.
json_value() {
    /usr/bin/python3 -c 'import json, sys; doc = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

printf 'ca-key-password\n' >"$WORK/ca-password"
printf 'admin-password\n' >"$WORK/admin-password"
PORT=$(free_port)
export STEPPATH=$WORK/ca

echo "step: $(step version | head -1), step-ca: $(step-ca version | head -1), STEPPATH=$STEPPATH, port $PORT"

check "step ca init --remote-management --acme" \
    step ca init --deployment-type standalone --name "Smoke Test CA" --dns localhost --dns 127.0.0.1 \
    --address "127.0.0.1:$PORT" --provisioner admin-jwk --password-file "$WORK/ca-password" \
    --provisioner-password-file "$WORK/admin-password" --remote-management --acme
check "ca.json uses the bbolt database and the admin API" \
    test "$(json_value "$STEPPATH/config/ca.json" 'doc["db"]["type"], doc["authority"]["enableAdmin"]')" = "('bbolt', True)"
check "key files are 0600 and ca.json is 0644" \
    test "$(stat -c %a "$STEPPATH/secrets/root_ca_key" "$STEPPATH/config/ca.json" | tr '\n' ' ')" = "600 644 "
check "step certificate fingerprint matches defaults.json" \
    test "$(step certificate fingerprint "$STEPPATH/certs/root_ca.crt")" = "$(json_value "$STEPPATH/config/defaults.json" 'doc["fingerprint"]')"

step-ca "$STEPPATH/config/ca.json" --password-file "$WORK/ca-password" >"$WORK/step-ca.log" 2>&1 &
CA_PID=$!
healthy=0
for _ in $(seq 1 60); do
    if [ "$(step ca health 2>/dev/null)" = ok ]; then
        healthy=1
        break
    fi
    kill -0 "$CA_PID" 2>/dev/null || break
    sleep 0.5
done
check "step-ca (PID $CA_PID) answers step ca health with ok" test "$healthy" = 1
[ "$healthy" = 1 ] || sed 's/^/      step-ca: /' "$WORK/step-ca.log"

check "step ca provisioner update acme through the admin API" \
    step ca provisioner update acme --x509-default-dur 672h --x509-max-dur 8760h \
    --admin-subject step --admin-provisioner admin-jwk --admin-password-file "$WORK/admin-password"
step ca provisioner list >"$WORK/provisioners.json" 2>>"$WORK/checks.log" || true
check "step ca provisioner list shows the new ACME claims" \
    test "$(json_value "$WORK/provisioners.json" \
        '[(p["claims"]["defaultTLSCertDuration"], p["claims"]["maxTLSCertDuration"]) for p in doc if p["name"] == "acme"]')" \
    = "[('672h0m0s', '8760h0m0s')]"
check "a wrong admin password is rejected" \
    bash -c '! step ca provisioner update acme --x509-default-dur 1h --admin-subject step \
        --admin-provisioner admin-jwk --admin-password-file "$1" </dev/null' _ "$WORK/ca-password"
check "the ACME directory answers 200" \
    test "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$STEPPATH/certs/root_ca.crt" \
        "https://127.0.0.1:$PORT/acme/acme/directory")" = 200
check "step ca bootstrap writes the root and defaults.json" \
    env STEPPATH="$WORK/client" step ca bootstrap --ca-url "https://127.0.0.1:$PORT" \
    --fingerprint "$(step certificate fingerprint "$STEPPATH/certs/root_ca.crt")"
check "the bootstrapped client reaches the CA" \
    test "$(STEPPATH="$WORK/client" step ca health)" = ok

kill "$CA_PID"
wait "$CA_PID" 2>/dev/null || true
CA_PID=""

export STEPPATH=$WORK/ca-file
check "step ca init --acme without remote management" \
    step ca init --name "File CA" --dns localhost --address "127.0.0.1:$PORT" --provisioner admin-jwk \
    --password-file "$WORK/ca-password" --acme
check "with step-ca stopped, provisioner update edits ca.json" \
    bash -c 'step ca provisioner update acme --x509-default-dur 72h </dev/null 2>&1 | grep -q "Success! Your .step-ca. config has been updated"'
check "ca.json holds the new ACME default duration" \
    test "$(json_value "$STEPPATH/config/ca.json" \
        '[p["claims"]["defaultTLSCertDuration"] for p in doc["authority"]["provisioners"] if p["name"] == "acme"]')" \
    = "['72h0m0s']"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
