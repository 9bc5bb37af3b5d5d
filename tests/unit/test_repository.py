"""The repository step's key handling, sources file and apt error messages."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from stepwizard.answers import Answers
from stepwizard.context import Context
from stepwizard.interaction import HeadlessInteraction
from stepwizard.runner import CommandError, CommandResult, Runner
from stepwizard.state import StateStore
from stepwizard.steps import repository
from stepwizard.steps.repository import (
    explain_apt_failure,
    key_fingerprints,
    render_sources,
    update_argv,
    version_tuple,
)

URL = "https://packages.example.test/stable/debian"
KEY_URL = "https://packages.example.test/keys/apt/repo-signing-key.gpg"


@pytest.fixture(scope="module")
def armored_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", "Throwaway Test Key <test@example.test>",
                    "ed25519", "sign", "1d"], check=True, capture_output=True)
    listing = subprocess.run([*gpg, "--with-colons", "--list-keys"], check=True,
                             capture_output=True, text=True).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines()
                       if line.startswith("fpr:"))
    key = subprocess.run([*gpg, "--armor", "--export"], check=True, capture_output=True).stdout
    return key, fingerprint


def test_fingerprint_of_armored_key(armored_key: tuple[bytes, str]) -> None:
    key, fingerprint = armored_key
    assert key_fingerprints(key) == [fingerprint.upper()]


def test_fingerprint_of_garbage_is_empty() -> None:
    assert key_fingerprints(b"<html>not a key</html>") == []


def test_sources_file_is_deb822() -> None:
    text = render_sources(URL, PurePosixPath("/etc/apt/keyrings/smallstep.asc"))
    assert f"URIs: {URL}\n" in text
    assert "Suites: debs\n" in text
    assert "Components: main\n" in text
    assert "Signed-By: /etc/apt/keyrings/smallstep.asc\n" in text


def test_update_limited_to_smallstep_source() -> None:
    argv = update_argv()
    assert argv[:3] == ["apt-get", "update", "--error-on=any"]
    assert "Dir::Etc::sourcelist=/etc/apt/sources.list.d/smallstep.sources" in argv


@pytest.mark.parametrize(("tail", "fragment"), [
    (["W: GPG error: https://x debs InRelease: The following signatures couldn't be verified "
      "because the public key is not available: NO_PUBKEY 1234"], "rejected the signature"),
    (["E: Failed to fetch https://x/InRelease  Could not connect to x:443"], "could not download"),
    (["E: something else"], "apt-get update failed"),
])
def test_apt_failure_messages(tail: list[str], fragment: str) -> None:
    message = explain_apt_failure(CommandError(["apt-get", "update"], 100, tail), URL, KEY_URL)
    assert fragment in message
    assert URL in message
    assert "nothing was installed" in message


def test_version_tuple() -> None:
    assert version_tuple("0.30.2-1") == (0, 30, 2)
    assert version_tuple("1:0.24.4") == (0, 24, 4)
    assert version_tuple("0.23.0") < (0, 24, 0)


def test_no_temp_files_left(tmp_path: Path, armored_key: tuple[bytes, str]) -> None:
    before = set(Path("/tmp").glob("stepwizard-gpg-*"))
    key_fingerprints(armored_key[0])
    assert set(Path("/tmp").glob("stepwizard-gpg-*")) == before


class RecordingRunner(Runner):
    """Runner that records each command and exits 0 without running anything."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[list[str]] = []

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        self.commands.append(list(argv))
        return CommandResult(list(argv), 0)


def test_install_refreshes_debian_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """apply refreshes every source after the scoped update, so Debian dependencies resolve."""
    answers = Answers(ca_name="Lab CA", dns_names=["ca.lab.example"], repository_url=URL,
                      repository_key_url=KEY_URL)
    runner = RecordingRunner()
    ctx = Context(answers, runner, HeadlessInteraction(answers), StateStore(None))
    monkeypatch.setattr(repository, "check_versions", list)
    monkeypatch.setattr(repository.Repository, "_download_key",
                        lambda self, ctx: b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    monkeypatch.setattr(repository, "write_file", lambda *args, **kwargs: None)
    repository.Repository().apply(ctx)
    assert runner.commands == [update_argv(), ["apt-get", "update"],
                               ["apt-get", "install", "-y", "step-cli", "step-ca"]]
