"""The installed wizard sets up a fresh Debian bed; the real CA is then checked from outside.

For each way of running the wizard (headless ``apply``, and the TUI driven over ``ssh -tt``
by tui_driver.py), one module-scoped fixture boots a pristine bed, installs the wizard from
a wheelhouse as README describes for an operator, and runs it once with canary passwords given
through ``password_file`` and ``provisioner_password_file`` while a sampler scans the bed's
/proc. It then runs ``apply`` a second time and records every watched file before and after.
The tests read what the fixture recorded, or ask the running bed, so each failure names
one check.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from stepwizard.probe import https_get

from .support import (
    ACME_CLIENT_NAME,
    ANSWERS_IN_BED,
    CA_NAME,
    CA_PASSWORD_SOURCE,
    CAP_NET_BIND_SERVICE,
    PROVISIONER_PASSWORD_SOURCE,
    ROOT_CERT,
    WATCHED_PATHS,
    WIZARD,
    Canaries,
    base_answers,
    bootstrap_from_host,
    capability_sets,
    certbot_certificate,
    install_wizard,
    list_files,
    main_pid,
    map_names,
    put_canaries,
    root_fingerprint,
    run_certbot,
    run_long_order,
    running_bed,
    start_sampler,
    step_binaries,
    stop_sampler,
    write_answers,
)
from .testbed import TestBed
from .tui_driver import TuiRun, drive_tui

pytestmark = pytest.mark.e2e

CA_URL = f"https://{CA_NAME}"
ACME_DIRECTORY_URL = f"{CA_URL}/acme/acme/directory"
STEPPATH = "/etc/step-ca"
DEFAULT_DURATION = timedelta(hours=672)
MAX_DURATION = timedelta(hours=8760)
# step-ca 0.30.2 backdates an order's notBefore by one minute when the client sends none
# (defaultOrderBackdate in certificates/acme/api/order.go) and computes notAfter from the
# undated time, so a certificate's validity is the default duration plus this minute.
ORDER_BACKDATE = timedelta(minutes=1)
OVER_MAXIMUM_REASON = "is more than the authorized maximum certificate duration"
STEP_IDS = ("prerequisites", "repository", "service-user", "ca-init", "hardening", "service",
            "acme", "durations", "summary")
# "write PATH (owner USER:GROUP, mode NNNN)", as ``stepwizard plan`` prints a file write.
PLAN_WRITE = re.compile(r"^\s*write (\S+) \(owner (\S+):(\S+), mode (\d{4})\)$", re.MULTILINE)
FINGERPRINT_LINE = re.compile(r"root fingerprint: ([0-9a-f]{64})")


@dataclass
class Installation:
    """What one scenario did and saw, read by the tests."""

    mode: str
    bed: TestBed
    canaries: Canaries
    first_status: int
    first_output: str
    printed_fingerprint: str
    second_status: int = -1
    second_output: str = ""
    files_before_second: dict[str, dict[str, Any]] = field(default_factory=dict)
    files_after_second: dict[str, dict[str, Any]] = field(default_factory=dict)
    sampler: dict[str, Any] = field(default_factory=dict)
    root_pem: str = ""

    def explain(self) -> str:
        """Return the end of the first run's output and step-ca's journal, for failures."""
        journal = self.bed.ssh("sudo journalctl -u step-ca --no-pager -n 40", check=False)
        return (f"\n--- last lines of the first run ({self.mode}) ---\n"
                + "\n".join(self.first_output.splitlines()[-40:])
                + f"\n--- journalctl -u step-ca ---\n{journal.stdout}")


def run_headless(bed: TestBed) -> tuple[int, str, str]:
    """Run ``stepwizard apply`` and return its exit status, output and printed fingerprint."""
    result = bed.ssh(["sudo", WIZARD, "apply", "--answers", ANSWERS_IN_BED], check=False,
                     timeout=900)
    output = result.stdout + result.stderr
    found = FINGERPRINT_LINE.findall(result.stdout)
    return result.returncode, output, found[-1] if found else ""


def run_in_tui(bed: TestBed) -> tuple[int, str, str]:
    """Drive the TUI over ssh -tt and return its exit status, screens and shown fingerprint."""
    run: TuiRun = drive_tui(bed)
    return run.exit_status, run.screens_text, run.fingerprint


RUNNERS = {"headless": run_headless, "tui": run_in_tui}


@pytest.fixture(scope="module", params=list(RUNNERS))
def installation(request: pytest.FixtureRequest, wheelhouse: Path) -> Iterator[Installation]:
    """Set up a CA on a pristine bed in one mode, run apply again, and keep the bed up."""
    mode: str = request.param
    with running_bed(f"swe2e-{mode}") as bed:
        install_wizard(bed, wheelhouse)
        map_names(bed)
        canaries = put_canaries(bed)
        answers = base_answers(bed)
        answers["password_file"] = CA_PASSWORD_SOURCE
        answers["provisioner_password_file"] = PROVISIONER_PASSWORD_SOURCE
        write_answers(bed, answers)
        start_sampler(bed)
        status, output, fingerprint = RUNNERS[mode](bed)
        run = Installation(mode, bed, canaries, status, output, fingerprint)
        if status == 0:
            run.files_before_second = list_files(bed, WATCHED_PATHS)
            second = bed.ssh(["sudo", WIZARD, "apply", "--answers", ANSWERS_IN_BED],
                             check=False, timeout=600)
            run.second_status = second.returncode
            run.second_output = second.stdout + second.stderr
            run.files_after_second = list_files(bed, WATCHED_PATHS)
        run.sampler = stop_sampler(bed)
        run.root_pem = bed.read_file(ROOT_CERT) if status == 0 else ""
        yield run


@pytest.fixture
def configured(installation: Installation) -> Installation:
    """The installation, once the first run succeeded; every check needs a running CA."""
    assert installation.first_status == 0, (
        f"the first run exited with status {installation.first_status}"
        + installation.explain())
    return installation


def test_first_run_exits_zero(installation: Installation) -> None:
    """The wizard sets up the CA on a fresh bed and exits 0."""
    assert installation.first_status == 0, installation.explain()


def test_service_is_active(configured: Installation) -> None:
    """systemctl reports step-ca.service active."""
    result = configured.bed.ssh("systemctl is-active step-ca", check=False)
    assert result.stdout.strip() == "active", configured.explain()


def test_process_runs_unprivileged(configured: Installation) -> None:
    """step-ca runs as step with CAP_NET_BIND_SERVICE as its only capability."""
    bed = configured.bed
    pid = main_pid(bed)
    assert pid > 0, configured.explain()
    user = bed.ssh(["ps", "-o", "user=", "-p", str(pid)]).stdout.strip()
    assert user == "step"
    command = bed.read_file(f"/proc/{pid}/cmdline").split("\0")
    assert command[0] == "/usr/bin/step-ca"
    sets = capability_sets(bed.read_file(f"/proc/{pid}/status"))
    only_bind = 1 << CAP_NET_BIND_SERVICE
    print(f"step-ca PID {pid} as {user}: " + " ".join(f"{name}={value:016x}"
                                                      for name, value in sets.items()))
    assert sets["CapEff"] == only_bind
    assert sets["CapBnd"] == only_bind
    assert sets["CapAmb"] == only_bind


def test_listens_on_port_443(configured: Installation) -> None:
    """ss shows step-ca's main process listening on TCP port 443."""
    bed = configured.bed
    listeners = bed.ssh("sudo ss -Hltnp 'sport = :443'").stdout
    print(listeners)
    assert f'("step-ca",pid={main_pid(bed)},' in listeners


def test_unit_verifies_silently(configured: Installation) -> None:
    """systemd-analyze verify prints nothing for the installed unit."""
    result = configured.bed.ssh(
        "sudo systemd-analyze verify /etc/systemd/system/step-ca.service 2>&1", check=False)
    assert result.returncode == 0
    assert result.stdout == ""


def test_planned_writes_match_files(configured: Installation) -> None:
    """Every file the plan writes exists with the owner and mode the plan names."""
    bed = configured.bed
    plan = bed.ssh(["sudo", WIZARD, "plan", "--answers", ANSWERS_IN_BED]).stdout
    writes = PLAN_WRITE.findall(plan)
    assert len(writes) == 6, plan
    files = list_files(bed, [path for path, *_rest in writes])
    for path, owner, group, mode in writes:
        entry = files.get(path)
        assert entry is not None, f"{path} is in the plan but missing"
        assert (entry["owner"], entry["group"], f"{entry['mode']:04o}") == (owner, group, mode), (
            path)


def expected_mode(path: str, kind: str) -> int:
    """Return the mode step ca init and the wizard give ``path`` under STEPPATH.

    The wizard creates STEPPATH 0750 (``install -d``). step ca init writes folders 0700,
    ca.json and defaults.json 0644, keys, certificates and the database 0600. The
    wizard's ca.json backups keep ca.json's mode.
    """
    if path == STEPPATH:
        return 0o750
    if kind == "dir":
        return 0o700
    if path.startswith(f"{STEPPATH}/config/"):
        return 0o644
    return 0o600


def test_steppath_owners_and_modes(configured: Installation) -> None:
    """Every entry under /etc/step-ca belongs to step:step with the mode init or the plan set."""
    files = list_files(configured.bed, [STEPPATH])
    secrets = [path for path in files if path.startswith(f"{STEPPATH}/secrets/")]
    assert {f"{STEPPATH}/secrets/password.txt", f"{STEPPATH}/secrets/provisioner-password.txt",
            f"{STEPPATH}/secrets/root_ca_key", f"{STEPPATH}/secrets/intermediate_ca_key"} <= set(
        secrets)
    for path, entry in sorted(files.items()):
        print(f"{entry['mode']:04o} {entry['owner']}:{entry['group']} {path}")
        assert entry["kind"] in ("file", "dir"), f"{path} is neither a file nor a folder"
        assert (entry["owner"], entry["group"]) == ("step", "step"), path
        assert entry["mode"] == expected_mode(path, entry["kind"]), (
            f"{path} has mode {entry['mode']:04o}")


def test_acme_directory_from_host(configured: Installation) -> None:
    """The ACME directory returns 200 to the host over the veth, verified against the root."""
    with tempfile.NamedTemporaryFile("w", suffix=".crt") as root:
        root.write(configured.root_pem)
        root.flush()
        answer = https_get(ACME_DIRECTORY_URL, cafile=root.name,
                           connect_host=configured.bed.container_ip)
    print(f"GET {ACME_DIRECTORY_URL} via {configured.bed.container_ip}: {answer.status}")
    assert answer.status == 200, answer.body
    assert f'"newOrder":"{CA_URL}/acme/acme/new-order"' in answer.body.replace(" ", "")


def test_certbot_gets_default_validity(configured: Installation) -> None:
    """certbot in the bed gets a certificate valid 672h plus step-ca's one-minute backdate."""
    bed = configured.bed
    result = run_certbot(bed, ACME_DIRECTORY_URL)
    assert result.returncode == 0, result.stdout + result.stderr + configured.explain()
    certificate = certbot_certificate(bed)
    validity = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    print(f"certbot certificate: {certificate.not_valid_before_utc.isoformat()} to "
          f"{certificate.not_valid_after_utc.isoformat()} ({validity})")
    # notAfter = now + 672h and notBefore = now - 1 minute, both from the same instant.
    assert validity == DEFAULT_DURATION + ORDER_BACKDATE
    names = certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == [ACME_CLIENT_NAME]


def test_order_over_maximum_refused(configured: Installation) -> None:
    """An order one hour past the 8760h maximum gets no certificate, and step-ca logs why."""
    bed = configured.bed
    too_long = MAX_DURATION + timedelta(hours=1)
    result = run_long_order(bed, ACME_DIRECTORY_URL, int(too_long.total_seconds()))
    print(f"order for {too_long}: stopped at {result['stage']}: {result['error']}")
    assert result["stage"] in ("new-order", "finalize"), result
    # The client sees only "internal error"; the reason is in step-ca's own log.
    journal = bed.ssh("sudo journalctl -u step-ca --no-pager").stdout
    reasons = [line for line in journal.splitlines() if OVER_MAXIMUM_REASON in line]
    assert reasons, f"step-ca logged no '{OVER_MAXIMUM_REASON}':\n{journal[-3000:]}"


def test_printed_fingerprint_matches_root(configured: Installation) -> None:
    """The fingerprint the wizard showed is the SHA-256 of the root certificate's DER."""
    assert configured.printed_fingerprint, "the wizard showed no root fingerprint"
    assert configured.printed_fingerprint == root_fingerprint(configured.root_pem)


def test_host_bootstrap_with_fingerprint(configured: Installation) -> None:
    """step ca bootstrap on the host pins the root with the fingerprint the wizard showed."""
    _step_ca, step = step_binaries()
    result = bootstrap_from_host(configured.bed, step, CA_URL, configured.printed_fingerprint)
    print(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"saved root fingerprint: {configured.printed_fingerprint}" in result.stdout


def test_canary_passwords_never_leak(configured: Installation) -> None:
    """The canary passwords appear in no journal, log, state, history, /proc or output."""
    bed = configured.bed
    canaries = configured.canaries
    # The CA must really use the canaries, or their absence below would prove nothing.
    assert bed.read_file(f"{STEPPATH}/secrets/password.txt").rstrip() == canaries.ca
    assert bed.read_file(f"{STEPPATH}/secrets/provisioner-password.txt").rstrip() == (
        canaries.provisioner)
    logs = bed.ssh("sudo sh -c 'cat /var/log/stepwizard/*'").stdout
    assert logs, "the wizard's log is empty"
    places = {
        "journal": bed.ssh("sudo journalctl --no-pager -o verbose").stdout,
        "wizard log": logs,
        "state file": bed.read_file("/var/lib/stepwizard/state.json"),
        "root's history": bed.ssh("sudo cat /root/.bash_history", check=False).stdout,
        "deploy's history": bed.ssh("cat ~/.bash_history", check=False).stdout,
        "first run output": configured.first_output,
        "second run output": configured.second_output,
    }
    for place, text in places.items():
        for canary in canaries.values:
            assert canary not in text, f"a canary password appears in the {place}"
    print(f"/proc sampled {configured.sampler['samples']} times")
    assert configured.sampler["samples"] >= 20, "the /proc sampler barely ran"
    assert configured.sampler["hits"] == [], f"canary in /proc: {configured.sampler['hits']}"


def test_second_run_all_done(configured: Installation) -> None:
    """A second apply reports every step done, runs no command and exits 0."""
    output = configured.second_output
    assert configured.second_status == 0, output
    assert "\n    $ " not in output, f"the second run ran commands:\n{output}"
    state = configured.bed.read_file("/var/lib/stepwizard/state.json")
    steps = json.loads(state)["steps"]
    for step_id in STEP_IDS:
        assert steps[step_id]["status"] == "done", step_id
        assert steps[step_id]["detail"] == "already in place", step_id


def test_second_run_changes_nothing(configured: Installation) -> None:
    """A second apply leaves every watched file's content, mtime, owner and mode as it was."""
    before = configured.files_before_second
    after = configured.files_after_second
    assert f"{STEPPATH}/config/ca.json" in before
    assert "/etc/apt/sources.list.d/smallstep.sources" in before
    assert "/etc/systemd/system/step-ca.service" in before
    assert any(path.startswith("/etc/apt/keyrings/smallstep.") for path in before)
    assert sorted(after) == sorted(before)
    for path, entry in before.items():
        assert after[path] == entry, f"{path} changed: {entry} -> {after[path]}"

