"""A repository apt rejects, or cannot reach, stops the wizard with nothing half-installed.

One pristine bed serves every case in turn, because each case must leave the bed as it
found it: no step-ca or step-cli package, no smallstep.sources and no smallstep keyring, and
apt still updating the host's own sources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .support import (
    ANSWERS_IN_BED,
    WIZARD,
    base_answers,
    install_wizard,
    map_names,
    running_bed,
    write_answers,
)
from .testbed import RepoInfo, TestBed

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class BrokenRepository:
    """Answers that point the wizard at a broken repository, and what its error must say."""

    label: str
    repository_url: Callable[[RepoInfo], str]
    key_url: Callable[[RepoInfo], str]
    # The URL the error must name, and words of the fix it must give.
    named_url: Callable[[RepoInfo], str]
    fix: tuple[str, ...]


CASES = [
    # The key downloads and matches the expected fingerprint, but another key signed the
    # repository, so apt-get update rejects its InRelease.
    BrokenRepository("wrong-signing-key", lambda repo: repo.wrong_key_repo_url,
                     lambda repo: repo.wrong_key_key_url, lambda repo: repo.wrong_key_repo_url,
                     ("rejected the signature", "Check repository_url and repository_key_url")),
    # The key comes from the working server; nothing listens at the repository's port.
    BrokenRepository("unreachable-repository", lambda repo: repo.unreachable_repo_url,
                     lambda repo: repo.key_url, lambda repo: repo.unreachable_repo_url,
                     ("could not download", "check the URL, the network and any proxy")),
    # Neither the key nor the repository can be reached: the key download fails first.
    BrokenRepository("unreachable-key", lambda repo: repo.unreachable_repo_url,
                     lambda repo: repo.unreachable_key_url,
                     lambda repo: repo.unreachable_key_url,
                     ("could not download the signing key", "check the URL and the network")),
]


@dataclass
class FailedRun:
    """The wizard's result for one broken repository, and the bed it ran on."""

    case: BrokenRepository
    bed: TestBed
    status: int
    output: str


@pytest.fixture(scope="module")
def apt_bed(wheelhouse: Path) -> Iterator[TestBed]:
    """A pristine bed with the wizard installed, shared by every broken-repository case."""
    with running_bed("swe2e-apt") as bed:
        install_wizard(bed, wheelhouse)
        map_names(bed)
        yield bed


@pytest.fixture(scope="module", params=CASES, ids=[case.label for case in CASES])
def failed_run(request: pytest.FixtureRequest, apt_bed: TestBed) -> FailedRun:
    """Run apply against one broken repository and record its exit status and output."""
    case: BrokenRepository = request.param
    repo = apt_bed.repo
    answers = base_answers(apt_bed)
    answers["repository_url"] = case.repository_url(repo)
    answers["repository_key_url"] = case.key_url(repo)
    write_answers(apt_bed, answers)
    result = apt_bed.ssh(["sudo", WIZARD, "apply", "--answers", ANSWERS_IN_BED], check=False,
                         timeout=600)
    return FailedRun(case, apt_bed, result.returncode, result.stdout + result.stderr)


def test_apply_exits_non_zero(failed_run: FailedRun) -> None:
    """apply exits with status 1 and reports that the Repository step failed."""
    assert failed_run.status == 1, failed_run.output
    assert "error in step Repository:" in failed_run.output


def test_error_names_url_and_fix(failed_run: FailedRun) -> None:
    """The error names the URL that failed and what the operator should check."""
    error = failed_run.output.split("error in step Repository:", 1)[-1]
    print(error)
    assert failed_run.case.named_url(failed_run.bed.repo) in error
    for words in failed_run.case.fix:
        assert words in error


def test_nothing_half_installed(failed_run: FailedRun) -> None:
    """No step package, sources file or keyring of smallstep remains after the failure."""
    bed = failed_run.bed
    for package in ("step-ca", "step-cli"):
        status = bed.ssh(["dpkg-query", "-W", "-f", "${Status}", package], check=False)
        assert "install ok installed" not in status.stdout, f"{package} is installed"
    leftovers = bed.ssh("ls /etc/apt/sources.list.d /etc/apt/keyrings").stdout.split()
    assert [name for name in leftovers if "smallstep" in name] == []
    assert bed.ssh("test -e /usr/bin/step-ca", check=False).returncode != 0
    assert bed.ssh("test -e /usr/bin/step", check=False).returncode != 0


def test_other_sources_still_update(failed_run: FailedRun) -> None:
    """apt-get update of the host's own sources still succeeds, errors counted as failures."""
    result = failed_run.bed.ssh("sudo apt-get update --error-on=any", check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
