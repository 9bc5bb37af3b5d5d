"""Helpers for the integration tests: tool discovery, temporary users, step-ca, /proc canaries.

These tests need root (they create a system user and start servers as it), the real
step-ca and the step stand-in built by testbed/build-step-*.sh, certbot, and a free
loopback port 80 for http-01. Without them the tests are skipped, unless
STEPWIZARD_REQUIRE_INTEGRATION=1 is set (scripts/test sets it): then they fail, so CI
cannot pass by skipping.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stepwizard.ca_client import check_ca
from stepwizard.context import Context
from stepwizard.runner import as_user
from stepwizard.unit import exec_start_argv

DEFAULT_DEV_CACHE = "/var/cache/stepwizard-dev"
REQUIRE_VARIABLE = "STEPWIZARD_REQUIRE_INTEGRATION"
# http-01 validation always connects to port 80 of the identifier (RFC 8555, section 8.3).
HTTP01_PORT = 80
# Lines of step-ca's log attached to a failure report.
LOG_TAIL_LINES = 80

# step-ca log files of the servers currently running, attached to every failing test report.
ACTIVE_SERVER_LOGS: list[Path] = []


@dataclass(frozen=True)
class Tools:
    """Paths of the programs the integration tests run."""

    step: str
    step_ca: str
    certbot: str
    system_python: str


def skip_or_fail(reason: str) -> None:
    """Skip the test locally, or fail it when STEPWIZARD_REQUIRE_INTEGRATION=1 is set."""
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE}=1 forbids skipping integration tests)",
                    pytrace=False)
    pytest.skip(reason)


def _port_80_free() -> bool:
    """Tell whether this process can bind 127.0.0.1:80 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", HTTP01_PORT))
        except OSError:
            return False
    return True


def find_tools() -> Tools:
    """Return the tools, or skip the test (fail it under STEPWIZARD_REQUIRE_INTEGRATION=1)."""
    cache = Path(os.environ.get("STEPWIZARD_DEV_CACHE", DEFAULT_DEV_CACHE))
    step = os.environ.get("STEPWIZARD_STEP", str(cache / "bin" / "step"))
    step_ca = os.environ.get("STEPWIZARD_STEP_CA", str(cache / "bin" / "step-ca"))
    problems: list[str] = []
    if os.geteuid() != 0:
        problems.append("not running as root (the tests create a system user)")
    for role, path in (("step stand-in", step), ("step-ca", step_ca)):
        if not os.access(path, os.X_OK):
            problems.append(f"{role} binary {path} is missing: run testbed/build-step-ca.sh "
                            "and testbed/build-step-standin.sh")
    certbot = shutil.which("certbot") or ""
    if not certbot:
        problems.append("certbot is missing: apt-get install -y certbot")
    system_python = "/usr/bin/python3"
    acme_check = subprocess.run([system_python, "-c", "import acme.client, josepy"],
                                capture_output=True, check=False) if os.access(
        system_python, os.X_OK) else None
    if acme_check is None or acme_check.returncode != 0:
        problems.append("python3-acme is missing for /usr/bin/python3: apt-get install -y "
                        "python3-acme (certbot depends on it)")
    for program in ("runuser", "useradd", "userdel"):
        if shutil.which(program) is None:
            problems.append(f"{program} is missing")
    if not _port_80_free():
        problems.append("127.0.0.1:80 is in use, so http-01 validation cannot reach certbot")
    if problems:
        skip_or_fail("integration environment incomplete: " + "; ".join(problems))
    return Tools(step=step, step_ca=step_ca, certbot=certbot, system_python=system_python)


def free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextlib.contextmanager
def temporary_base_folder(label: str) -> Iterator[Path]:
    """Create a folder under /tmp that every user may traverse, and remove it afterwards.

    pytest's tmp_path sits below a 0700 root folder, where the service user could not reach
    its own STEPPATH, hence a separate folder.
    """
    base = Path(tempfile.mkdtemp(prefix=f"stepwizard-it-{label}-", dir="/tmp"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def unique_user_name() -> str:
    """Return a system user name that does not exist yet."""
    while True:
        name = "swit-" + secrets.token_hex(4)
        try:
            pwd.getpwnam(name)
        except KeyError:
            return name


@contextlib.contextmanager
def temporary_user_cleanup(name: str) -> Iterator[None]:
    """Remove the user ``name`` and its group on exit, when they exist."""
    try:
        yield
    finally:
        try:
            pwd.getpwnam(name)
        except KeyError:
            pass
        else:
            subprocess.run(["userdel", name], check=False, capture_output=True)
        subprocess.run(["groupdel", name], check=False, capture_output=True)


def read_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last ``lines`` lines of a text file, or a note when it cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"(cannot read {path}: {error.strerror})"
    return "\n".join(text.splitlines()[-lines:])


class CaServer:
    """A step-ca process started with the unit's ExecStart line as the service user."""

    def __init__(self, ctx: Context, log_path: Path) -> None:
        self.ctx = ctx
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def argv(self) -> list[str]:
        """The command line the systemd unit would run."""
        answers = self.ctx.answers
        return exec_start_argv(steppath=Path(answers.steppath),
                               password_file=Path(answers.ca_password_path),
                               step_ca_binary=self.ctx.step_ca_binary)

    def start(self) -> None:
        """Start step-ca in its own process group, logging to ``log_path``."""
        answers = self.ctx.answers
        full = as_user(self.argv, answers.service_user, self.ctx.step_env())
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                full, cwd=answers.steppath, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        ACTIVE_SERVER_LOGS.append(self.log_path)

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Wait until /health answers ok; raise AssertionError with the log if it does not."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        status = check_ca(self.ctx)
        while not status.healthy:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"step-ca exited with status {self.process.returncode} before answering "
                    f"/health; its log:\n{read_tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"step-ca did not answer /health within {timeout:.0f}s "
                    f"({status.error or 'not healthy'}); its log:\n{read_tail(self.log_path)}")
            time.sleep(0.2)
            status = check_ca(self.ctx)

    def stop(self) -> None:
        """Stop the process group this object started: SIGTERM, then SIGKILL after 10 s."""
        process = self.process
        if process is None or process.poll() is not None:
            self._forget_log()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        self._forget_log()

    def _forget_log(self) -> None:
        if self.log_path in ACTIVE_SERVER_LOGS:
            ACTIVE_SERVER_LOGS.remove(self.log_path)


@dataclass
class CanaryHit:
    """A /proc file of a live process that contained a canary password."""

    pid: str
    file: str
    command: str


@dataclass
class CanarySampler:
    """Scans /proc/*/cmdline and /proc/*/environ for canary values every ``interval`` seconds."""

    canaries: list[str]
    interval: float = 0.1
    samples: int = 0
    hits: list[CanaryHit] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Start sampling in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="canary-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        needles = [canary.encode() for canary in self.canaries]
        while not self._stop.is_set():
            self._scan(needles)
            self.samples += 1
            self._stop.wait(self.interval)

    def _scan(self, needles: list[bytes]) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            for name in ("cmdline", "environ"):
                try:
                    data = (entry / name).read_bytes()
                except OSError:
                    # The process ended, or it is a kernel thread without these files.
                    continue
                if any(needle in data for needle in needles):
                    command = ""
                    with contextlib.suppress(OSError):
                        command = (entry / "comm").read_text().strip()
                    self.hits.append(CanaryHit(entry.name, name, command))


def canary_value(label: str) -> str:
    """Return a password that cannot occur by chance in any output."""
    return f"Canary{label}{secrets.token_hex(12)}"
