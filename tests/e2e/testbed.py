"""Drive the Debian test bed of testbed/nspawn/ from pytest.

A bed is a Debian bookworm system booted with systemd-nspawn in a network namespace of its
own, reached over SSH as the ``deploy`` user with passwordless sudo. It is the stand-in for
the fresh host the wizard sets up. Typical fixture::

    @pytest.fixture
    def bed() -> Iterator[TestBed]:
        with TestBed.up("e2e-install") as bed:
            bed.publish_repo(STEP_CA_BINARY, STEP_BINARY)
            yield bed

Leaving the ``with`` block runs ``down.sh``, which removes the container, its network and
cgroups even after a failed test. The scripts need root, and ``unavailable_reason()`` returns
why a test should be skipped where they cannot run.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "testbed" / "nspawn"
# A cold up.sh builds the root filesystem with debootstrap first (about a minute).
UP_TIMEOUT_SECONDS = 600
DOWN_TIMEOUT_SECONDS = 120
REPO_TIMEOUT_SECONDS = 300


class TestBedError(RuntimeError):
    """A test bed script failed; the message contains its output."""


def unavailable_reason() -> str | None:
    """Return why no test bed can run on this machine, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "the test bed needs Linux (systemd-nspawn)"
    if os.geteuid() != 0:
        return "the test bed needs root (network namespaces, cgroups, systemd-nspawn)"
    if shutil.which("apt-get") is None:
        return "the test bed needs a Debian host with apt-get"
    return None


def _parse_key_values(output: str) -> dict[str, str]:
    """Parse the KEY=VALUE lines that up.sh and repo.sh print on stdout."""
    values: dict[str, str] = {}
    for line in output.splitlines():
        key, separator, value = line.partition("=")
        if separator and key.isidentifier() and key.isupper():
            values[key] = value
    return values


def _run_script(script: str, args: Sequence[str], timeout: float) -> dict[str, str]:
    """Run a test bed script and return the KEY=VALUE lines it printed."""
    argv = [str(SCRIPTS_DIR / script), *args]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise TestBedError(f"{shlex.join(argv)} timed out after {timeout:.0f}s") from error
    if result.returncode != 0:
        raise TestBedError(
            f"{shlex.join(argv)} failed with exit status {result.returncode}:\n"
            f"{result.stderr}{result.stdout}"
        )
    return _parse_key_values(result.stdout)


@dataclass(frozen=True)
class RepoInfo:
    """URLs and key of the smallstep repository stand-in that repo.sh published to a bed."""

    repo_url: str
    """Repository URI for a deb822 ``URIs:`` line (``Suites: debs``, ``Components: main``)."""
    key_url: str
    """URL of the ASCII-armoured signing key."""
    key_fingerprint: str
    """OpenPGP fingerprint of the signing key: 40 upper-case hex digits."""
    wrong_key_repo_url: str
    """Repository signed by a key other than the one at ``wrong_key_key_url``."""
    wrong_key_key_url: str
    """Key URL of the wrong-key variant; it serves the key of ``key_url``."""
    unreachable_repo_url: str
    """Repository URI on a port where nothing listens: every fetch is refused."""
    unreachable_key_url: str
    """Key URL on the same refused port."""
    step_ca_version: str
    """Version of the step-ca package."""
    step_cli_version: str
    """Version of the step-cli package."""

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> RepoInfo:
        """Build the record from repo.sh's KEY=VALUE output."""
        return cls(
            repo_url=values["REPO_URL"],
            key_url=values["KEY_URL"],
            key_fingerprint=values["KEY_FINGERPRINT"],
            wrong_key_repo_url=values["WRONG_KEY_REPO_URL"],
            wrong_key_key_url=values["WRONG_KEY_KEY_URL"],
            unreachable_repo_url=values["UNREACHABLE_REPO_URL"],
            unreachable_key_url=values["UNREACHABLE_KEY_URL"],
            step_ca_version=values["STEP_CA_VERSION"],
            step_cli_version=values["STEP_CLI_VERSION"],
        )


class TestBed:
    """A running test bed; create it with ``TestBed.up(name)`` and stop it with ``down()``."""

    __test__ = False  # Not a test class, despite the name.

    def __init__(self, name: str, values: Mapping[str, str]) -> None:
        """Wrap bed ``name`` that up.sh started and described with ``values``."""
        self.name = name
        self._values = dict(values)
        self._repo: RepoInfo | None = None
        self._is_up = True

    @classmethod
    def up(cls, name: str, *, timeout: float = UP_TIMEOUT_SECONDS) -> TestBed:
        """Boot bed ``name`` with up.sh and return it once sshd accepts the deploy user.

        ``name`` is 1-20 characters of a-z, 0-9 and '-'. A bed of that name left by an earlier
        run, running or not, is removed first. Raises TestBedError when the bed does not come
        up, and nothing of it is left behind then.
        """
        _run_script("down.sh", [name], DOWN_TIMEOUT_SECONDS)
        try:
            values = _run_script("up.sh", [name], timeout)
        except BaseException:
            # up.sh cleans up after its own failures, but not when it is killed by a timeout
            # or an interrupt. The original error matters more than a failed cleanup.
            with contextlib.suppress(TestBedError):
                _run_script("down.sh", [name], DOWN_TIMEOUT_SECONDS)
            raise
        return cls(name, values)

    def down(self) -> None:
        """Power the bed off and remove everything it used; safe to call twice."""
        _run_script("down.sh", [self.name], DOWN_TIMEOUT_SECONDS)
        self._is_up = False

    def __enter__(self) -> TestBed:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.down()

    def publish_repo(
        self,
        step_ca: Path,
        step: Path,
        *,
        ca_version: str | None = None,
        cli_version: str | None = None,
    ) -> RepoInfo:
        """Package ``step_ca`` and ``step`` and serve them as the smallstep repository stand-in.

        The versions default to what the binaries' ``version`` command prints; pass them for
        placeholder binaries that have no such command.
        """
        args: list[str] = []
        if ca_version is not None:
            args += ["--ca-version", ca_version]
        if cli_version is not None:
            args += ["--cli-version", cli_version]
        args += [self.name, str(step_ca), str(step)]
        self._repo = RepoInfo.from_values(_run_script("repo.sh", args, REPO_TIMEOUT_SECONDS))
        return self._repo

    def ssh_argv(
        self, command: str | Sequence[str] | None = None, *, tty: bool = True
    ) -> list[str]:
        """Return the ssh command line that logs in as deploy, with ``-tt`` when ``tty`` is set.

        Meant for pexpect: ``pexpect.spawn(argv[0], argv[1:])``. A ``command`` string is run by
        the remote shell as it is; a sequence is quoted word by word.
        """
        argv = ["ssh", "-F", self.ssh_config]
        if tty:
            argv.append("-tt")
        argv.append(self.name)
        if command is not None:
            argv.append(command if isinstance(command, str) else shlex.join(command))
        return argv

    def ssh(
        self,
        command: str | Sequence[str],
        *,
        check: bool = True,
        input: str | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in the bed as deploy without a terminal and return its result.

        Raises subprocess.CalledProcessError on a non-zero exit status when ``check`` is set,
        and subprocess.TimeoutExpired after ``timeout`` seconds.
        """
        return subprocess.run(
            self.ssh_argv(command, tty=False),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def copy_in(
        self, path: Path | str, dest: str, *, mode: str = "0644", owner: str = "root:root"
    ) -> None:
        """Copy host file ``path`` to ``dest`` in the bed with sudo, creating parent folders."""
        user, _, group = owner.partition(":")
        install = ["sudo", "install", "-D", "-m", mode, "-o", user, "-g", group or user]
        remote = shlex.join([*install, "/dev/stdin", dest])
        with Path(path).open("rb") as source:
            subprocess.run(
                self.ssh_argv(remote, tty=False),
                stdin=source,
                capture_output=True,
                timeout=120,
                check=True,
            )

    def read_file(self, path: str) -> str:
        """Return the text of file ``path`` in the bed, read with sudo."""
        return self.ssh(["sudo", "cat", path]).stdout

    def console_log(self) -> str:
        """Return what the bed's systemd printed on its console so far."""
        return Path(self._values["CONSOLE_LOG"]).read_text(errors="replace")

    def server_log(self) -> str:
        """Return the access log of the bed's package server."""
        return Path(self._values["SERVER_LOG"]).read_text(errors="replace")

    @property
    def is_up(self) -> bool:
        """Whether ``down()`` has not been called yet."""
        return self._is_up

    @property
    def host_ip(self) -> str:
        """Host-side address of the bed's veth pair, where the package server listens."""
        return self._values["HOST_IP"]

    @property
    def container_ip(self) -> str:
        """Address of the container, where its sshd listens."""
        return self._values["CONTAINER_IP"]

    @property
    def ssh_config(self) -> str:
        """Path of the ssh client configuration that logs in as deploy with the bed's key."""
        return self._values["SSH_CONFIG"]

    @property
    def ssh_user(self) -> str:
        """The unprivileged user with passwordless sudo."""
        return self._values["SSH_USER"]

    @property
    def repo_host(self) -> str:
        """Host name of the package server, resolved inside the bed through /etc/hosts."""
        return self._values["REPO_HOST"]

    @property
    def ca_cert(self) -> Path:
        """Root certificate of the throwaway CA that signed the package server's certificate."""
        return Path(self._values["CA_CERT"])

    @property
    def repo(self) -> RepoInfo:
        """The published repository; raises RuntimeError before ``publish_repo()``."""
        if self._repo is None:
            raise RuntimeError(
                f"no repository published to test bed {self.name}; call publish_repo()"
            )
        return self._repo

    @property
    def repo_url(self) -> str:
        """Repository URI of the smallstep stand-in."""
        return self.repo.repo_url

    @property
    def key_url(self) -> str:
        """URL of the stand-in's ASCII-armoured signing key."""
        return self.repo.key_url

    @property
    def key_fingerprint(self) -> str:
        """OpenPGP fingerprint of the stand-in's signing key."""
        return self.repo.key_fingerprint
