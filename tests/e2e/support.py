"""Helpers of the end-to-end tests: install the wizard into a bed and inspect the result.

The wizard is installed as README describes for an operator without PyPI access: a wheelhouse
built on the host with ``pip wheel``, copied in, and installed with ``pip install
--no-index --find-links`` into /opt/stepwizard. It reaches the test repository only
through its answers (repository_url, repository_key_url, repository_key_fingerprint).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .testbed import TestBed, TestBedError, unavailable_reason

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEV_CACHE = "/var/cache/stepwizard-dev"
REQUIRE_VARIABLE = "STEPWIZARD_REQUIRE_INTEGRATION"

# Where the operator installs the wizard, as README describes it.
VENV = "/opt/stepwizard"
WIZARD = f"{VENV}/bin/stepwizard"
WHEELHOUSE_IN_BED = "/home/deploy/wheels"
ANSWERS_IN_BED = "/home/deploy/answers.toml"
# The CA's DNS name: /etc/hosts in the bed maps it to the container's address, and host-side
# checks connect to that address with this name for SNI and Host.
CA_NAME = "ca.stepwizard.test"
# The name ACME clients in the bed order a certificate for. It maps to 127.0.0.1 in the bed,
# where certbot and the long-order helper serve http-01 on port 80.
ACME_CLIENT_NAME = "acme-client.stepwizard.test"
ROOT_CERT = "/etc/step-ca/certs/root_ca.crt"
CA_PASSWORD_SOURCE = "/root/e2e-ca-password.txt"
PROVISIONER_PASSWORD_SOURCE = "/root/e2e-provisioner-password.txt"
SAMPLER_DIR = "/root/e2e-canary-sampler"
# Every file a second run must leave untouched (content and mtime).
WATCHED_PATHS = ("/etc/step-ca", "/etc/systemd/system/step-ca.service",
                 "/etc/apt/sources.list.d/smallstep.sources", "/etc/apt/keyrings")
# Linux capability number of CAP_NET_BIND_SERVICE (linux/capability.h).
CAP_NET_BIND_SERVICE = 10
LONG_ORDER_HELPER = REPO_ROOT / "tests" / "integration" / "acme_long_order.py"
SAMPLER_SCRIPT = Path(__file__).with_name("canary_sampler.py")


def skip_or_fail(reason: str) -> None:
    """Skip the test, or fail it when STEPWIZARD_REQUIRE_INTEGRATION=1 is set."""
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE}=1 forbids skipping end-to-end tests)",
                    pytrace=False)
    pytest.skip(reason)


def step_binaries() -> tuple[Path, Path]:
    """Return the real step-ca and the step stand-in, or skip (fail) when they are missing."""
    cache = Path(os.environ.get("STEPWIZARD_DEV_CACHE", DEFAULT_DEV_CACHE))
    step_ca = Path(os.environ.get("STEPWIZARD_STEP_CA", cache / "bin" / "step-ca"))
    step = Path(os.environ.get("STEPWIZARD_STEP", cache / "bin" / "step"))
    for role, path in (("step-ca", step_ca), ("step stand-in", step)):
        if not os.access(path, os.X_OK):
            skip_or_fail(f"{role} binary {path} is missing: run testbed/build-step-ca.sh and "
                         "testbed/build-step-standin.sh")
    return step_ca, step


@contextmanager
def running_bed(name: str) -> Iterator[TestBed]:
    """Boot bed ``name`` with the smallstep repository stand-in published, and always stop it."""
    reason = unavailable_reason()
    if reason is not None:
        skip_or_fail(reason)
    step_ca, step = step_binaries()
    try:
        bed = TestBed.up(name)
    except TestBedError as error:
        skip_or_fail(f"test bed {name} did not start: {error}")
        raise
    try:
        bed.publish_repo(step_ca, step)
        yield bed
    finally:
        bed.down()


def build_wheelhouse(folder: Path) -> Path:
    """Build wheels of stepwizard and its dependencies into ``folder`` with pip wheel."""
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", str(REPO_ROOT),
                             "--wheel-dir", str(folder)],
                            capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        skip_or_fail(f"pip wheel {REPO_ROOT} failed:\n{result.stderr[-2000:]}")
    return folder


def install_wizard(bed: TestBed, wheelhouse: Path) -> None:
    """Copy the wheelhouse in and install stepwizard into /opt/stepwizard without an index."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for wheel in sorted(wheelhouse.glob("*.whl")):
            tar.add(wheel, arcname=wheel.name)
    subprocess.run(bed.ssh_argv(f"mkdir -p {WHEELHOUSE_IN_BED} && tar -C {WHEELHOUSE_IN_BED} -xf -",
                                tty=False),
                   input=archive.getvalue(), capture_output=True, timeout=120, check=True)
    result = bed.ssh(f"sudo python3 -m venv {VENV} && sudo {VENV}/bin/pip install --quiet "
                     f"--no-index --find-links {WHEELHOUSE_IN_BED} stepwizard", check=False,
                     timeout=300)
    assert result.returncode == 0, f"installing the wheelhouse failed:\n{result.stderr}"


def map_names(bed: TestBed) -> None:
    """Add the CA's name and the ACME client's name to the bed's /etc/hosts."""
    lines = f"{bed.container_ip}\t{CA_NAME}\n127.0.0.1\t{ACME_CLIENT_NAME}\n"
    bed.ssh(["sudo", "tee", "-a", "/etc/hosts"], input=lines)


def toml_value(value: object) -> str:
    """Return ``value`` (str, bool, int or list of str) as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def write_answers(bed: TestBed, values: Mapping[str, object],
                  path: str = ANSWERS_IN_BED) -> str:
    """Write an answers file into the bed and return its path."""
    text = "".join(f"{key} = {toml_value(value)}\n" for key, value in values.items())
    bed.ssh(["sh", "-c", 'cat > "$1"', "sh", path], input=text)
    return path


def base_answers(bed: TestBed) -> dict[str, object]:
    """Return answers for a CA at https://ca.stepwizard.test on :443 from the test repository."""
    return {
        "ca_name": "stepwizard e2e CA",
        "dns_names": [CA_NAME],
        "address": ":443",
        "repository_url": bed.repo.repo_url,
        "repository_key_url": bed.repo.key_url,
        "repository_key_fingerprint": bed.repo.key_fingerprint,
    }


@dataclass(frozen=True)
class Canaries:
    """The CA and provisioner passwords, unique enough that no output contains them by chance."""

    ca: str
    provisioner: str

    @property
    def values(self) -> tuple[str, str]:
        """Both passwords."""
        return (self.ca, self.provisioner)


def put_canaries(bed: TestBed) -> Canaries:
    """Write two canary passwords into 0600 root files in the bed, without argv or environ."""
    canaries = Canaries(f"CanaryCa{secrets.token_hex(12)}",
                        f"CanaryProvisioner{secrets.token_hex(12)}")
    for value, path in ((canaries.ca, CA_PASSWORD_SOURCE),
                        (canaries.provisioner, PROVISIONER_PASSWORD_SOURCE)):
        bed.ssh(["sudo", "install", "-m", "0600", "-o", "root", "-g", "root", "/dev/stdin",
                 path], input=value + "\n")
    return canaries


def start_sampler(bed: TestBed) -> None:
    """Start the /proc canary sampler in the bed, detached from the ssh session."""
    bed.copy_in(SAMPLER_SCRIPT, f"{SAMPLER_DIR}/canary_sampler.py", mode="0700")
    report = f"{SAMPLER_DIR}/report.json"
    command = shlex.join(["python3", f"{SAMPLER_DIR}/canary_sampler.py", report,
                          CA_PASSWORD_SOURCE, PROVISIONER_PASSWORD_SOURCE])
    bed.ssh(["sudo", "sh", "-c", f"setsid -f {command} </dev/null >{SAMPLER_DIR}/log 2>&1"])
    deadline = time.monotonic() + 10
    while bed.ssh(["sudo", "test", "-s", f"{report}.pid"], check=False).returncode != 0:
        assert time.monotonic() < deadline, "the canary sampler did not start: " + bed.ssh(
            ["sudo", "cat", f"{SAMPLER_DIR}/log"], check=False).stdout
        time.sleep(0.1)


def stop_sampler(bed: TestBed) -> dict[str, Any]:
    """Stop the sampler by its PID and return its report (samples and hits)."""
    report = f"{SAMPLER_DIR}/report.json"
    bed.ssh(["sudo", "sh", "-c", f'kill -TERM "$(cat {report}.pid)"'])
    deadline = time.monotonic() + 10
    while bed.ssh(["sudo", "test", "-s", report], check=False).returncode != 0:
        assert time.monotonic() < deadline, "the canary sampler wrote no report"
        time.sleep(0.1)
    data: dict[str, Any] = json.loads(bed.read_file(report))
    return data


# Runs under the bed's python3 as root: prints one JSON object per path under the given roots.
_LISTING_SCRIPT = r"""
import grp, hashlib, json, os, pwd, stat, sys
def describe(path):
    status = os.lstat(path)
    entry = {"path": path, "mode": stat.S_IMODE(status.st_mode), "mtime_ns": status.st_mtime_ns,
             "owner": pwd.getpwuid(status.st_uid).pw_name,
             "group": grp.getgrgid(status.st_gid).gr_name,
             "kind": "dir" if stat.S_ISDIR(status.st_mode) else
                     "file" if stat.S_ISREG(status.st_mode) else "other"}
    if entry["kind"] == "file":
        with open(path, "rb") as handle:
            entry["sha256"] = hashlib.sha256(handle.read()).hexdigest()
    print(json.dumps(entry))
for root in sys.argv[1:]:
    if not os.path.lexists(root):
        continue
    describe(root)
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs) + sorted(files):
            describe(os.path.join(folder, name))
"""


def list_files(bed: TestBed, roots: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Return mode, owner, group, mtime and sha256 of every path under ``roots``, by path."""
    result = bed.ssh(["sudo", "python3", "-c", _LISTING_SCRIPT, *roots])
    entries = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {entry["path"]: entry for entry in entries}


def root_fingerprint(pem: str) -> str:
    """Return the SHA-256 of a PEM certificate's DER bytes, lowercase hex."""
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def main_pid(bed: TestBed) -> int:
    """Return the PID of step-ca.service's main process (0 when it does not run)."""
    return int(bed.ssh("systemctl show --property MainPID --value step-ca.service")
               .stdout.strip())


def capability_sets(status_text: str) -> dict[str, int]:
    """Return the Cap* lines of /proc/PID/status as integers, by name."""
    sets: dict[str, int] = {}
    for line in status_text.splitlines():
        name, _, value = line.partition(":")
        if name.startswith("Cap"):
            sets[name] = int(value.strip(), 16)
    return sets


def run_certbot(bed: TestBed, directory_url: str) -> subprocess.CompletedProcess[str]:
    """Order a certificate for ACME_CLIENT_NAME with certbot in the bed (http-01 standalone)."""
    folder = "/root/e2e-certbot"
    command = ["sudo", "env", f"REQUESTS_CA_BUNDLE={ROOT_CERT}", "certbot", "certonly",
               "--standalone", "--non-interactive", "--agree-tos",
               "--register-unsafely-without-email", "--preferred-challenges", "http",
               "--http-01-address", "127.0.0.1", "--http-01-port", "80",
               "--server", directory_url, "--domain", ACME_CLIENT_NAME, "--cert-name", "e2e",
               "--config-dir", f"{folder}/config", "--work-dir", f"{folder}/work",
               "--logs-dir", f"{folder}/logs"]
    return bed.ssh(command, check=False, timeout=180)


def certbot_certificate(bed: TestBed) -> x509.Certificate:
    """Return the certificate certbot saved in the bed."""
    pem = bed.read_file("/root/e2e-certbot/config/live/e2e/cert.pem")
    return x509.load_pem_x509_certificate(pem.encode())


def run_long_order(bed: TestBed, directory_url: str, seconds: int) -> dict[str, Any]:
    """Order a certificate valid for ``seconds`` with python3-acme in the bed; return its result."""
    bed.copy_in(LONG_ORDER_HELPER, "/root/e2e-acme/acme_long_order.py", mode="0700")
    result = bed.ssh(["sudo", "/usr/bin/python3", "/root/e2e-acme/acme_long_order.py",
                      directory_url, ROOT_CERT, ACME_CLIENT_NAME, str(seconds)],
                     check=False, timeout=180)
    assert result.returncode == 0, f"the ACME helper failed:\n{result.stdout}{result.stderr}"
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def bootstrap_from_host(bed: TestBed, step: Path, ca_url: str,
                        fingerprint: str) -> subprocess.CompletedProcess[str]:
    """Run ``step ca bootstrap`` on the host with the CA's name mapped to the container.

    The host's /etc/hosts is replaced by a copy with the CA's name only inside a private
    mount namespace created for this one command, so nothing outside it changes.
    """
    with tempfile.TemporaryDirectory(prefix="stepwizard-e2e-bootstrap-") as folder:
        hosts = Path(folder) / "hosts"
        hosts.write_text(Path("/etc/hosts").read_text() + f"\n{bed.container_ip}\t{CA_NAME}\n")
        script = 'mount --bind "$1" /etc/hosts && shift && exec "$@"'
        argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script,
                "sh", str(hosts), str(step), "ca", "bootstrap", "--ca-url", ca_url,
                "--fingerprint", fingerprint]
        env = dict(os.environ, STEPPATH=str(Path(folder) / "step"))
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env,
                                check=False)
        saved_root = Path(folder) / "step" / "certs" / "root_ca.crt"
        if result.returncode == 0 and saved_root.exists():
            result.stdout += f"\nsaved root fingerprint: {root_fingerprint(saved_root.read_text())}"
        return result

