"""Safety checks found by fault injection: links, foreign folders, bad files, stale state."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
from pathlib import Path, PurePosixPath

import pytest

from stepwizard import safefs
from stepwizard.answers import Answers
from stepwizard.caconfig import CaConfigError, parse_ca_config
from stepwizard.context import Context
from stepwizard.errors import StepError
from stepwizard.files import require_real_folder
from stepwizard.interaction import HeadlessInteraction
from stepwizard.runner import Runner
from stepwizard.secrets import MASK
from stepwizard.state import StateFileError, StateStore, StepStatus
from stepwizard.steps.ca_init import existing_pki_entries, password_source_problem
from stepwizard.steps.hardening import hardened_text
from stepwizard.steps.service import fix_ownership
from stepwizard.steps.service_user import home_problem

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def context(steppath: Path, **changes: object) -> Context:
    answers = Answers.model_validate({"ca_name": "Lab", "dns_names": ["ca.lab.example"],
                                      "steppath": str(steppath), **changes})
    return Context(answers, Runner(), HeadlessInteraction(answers), StateStore(None))


def test_symlinked_folder_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(StepError, match="symbolic link"):
        require_real_folder(tmp_path / "link" / "inner")


@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
def test_fix_ownership_does_not_follow_links(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A link the service user plants is re-owned itself, never its target."""
    home = tmp_path / "ca"
    (home / "secrets").mkdir(parents=True)
    for name in ("password.txt", "provisioner-password.txt"):
        (home / "secrets" / name).write_text("pw\n")
    victim = tmp_path / "victim"
    victim.write_text("root file")
    victim.chmod(0o644)
    (home / "planted").symlink_to(victim)
    monkeypatch.setattr("stepwizard.steps.service.ids_of", lambda owner, group: (12345, 12345))
    fix_ownership(context(home, service_user="step"))
    assert os.lstat(home / "planted").st_uid == 12345
    assert victim.stat().st_uid == 0
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert (home / "db").is_dir()
    assert stat.S_IMODE((home / "secrets" / "password.txt").stat().st_mode) == 0o600


def test_password_file_link_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "ca"
    (home / "secrets").mkdir(parents=True)
    target = tmp_path / "passwd"
    target.write_text("x")
    (home / "secrets" / "password.txt").symlink_to(target)
    (home / "secrets" / "provisioner-password.txt").write_text("pw")
    monkeypatch.setattr("stepwizard.steps.service.ids_of", lambda owner, group: (0, 0))
    with pytest.raises(StepError, match="symbolic link"):
        fix_ownership(context(home, service_user="step"))


def test_foreign_home_refused(tmp_path: Path) -> None:
    """An existing folder of someone else, even empty, is not handed to the service user."""
    home = tmp_path / "someone"
    home.mkdir()
    (home / "private").write_text("x")
    problem = home_problem(home, "step-test-user")
    assert problem is not None
    assert f"belongs to {ME}" in problem
    assert home_problem(home, ME) is None
    assert home_problem(tmp_path / "new", "step") is None
    empty = tmp_path / "empty"
    empty.mkdir()
    assert home_problem(empty, "step-test-user") is not None


def test_writable_ancestor_refused(tmp_path: Path) -> None:
    """A folder above STEPPATH that others can write lets them swap STEPPATH."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    problem = home_problem(shared / "ca", "step")
    assert problem is not None
    assert "writable by others" in problem


def test_link_above_steppath_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert "symbolic link" in (home_problem(tmp_path / "link" / "ca", "step") or "")


def test_interrupted_init_counts_as_pki(tmp_path: Path) -> None:
    home = tmp_path / "ca"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "password.txt").write_text("pw")
    (home / "secrets" / "provisioner-password.txt").write_text("pw")
    ctx = context(home)
    assert existing_pki_entries(ctx) == []
    (home / "secrets" / "root_ca_key").write_text("key")
    (home / "certs").mkdir()
    (home / "certs" / "root_ca.crt").write_text("crt")
    assert existing_pki_entries(ctx) == ["certs", "secrets"]


def test_password_source_problems(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    assert "No such file" in (password_source_problem(path) or "")
    path.write_text("")
    path.chmod(0o600)
    assert "is empty" in (password_source_problem(path) or "")
    path.write_text("secret-password")
    assert password_source_problem(path) is None
    path.chmod(0o644)
    assert "chmod 600" in (password_source_problem(path) or "")


@pytest.mark.parametrize(("text", "fragment"), [
    ('{"a": NaN}', "NaN"),
    ('{"a": 1, "a": 2}', "appears twice"),
    ("[" * 100000 + "]" * 100000, "cannot be read safely"),
    ('{"a": "\\ud800"}', "cannot be read safely"),
])
def test_ca_json_strict_parsing(text: str, fragment: str) -> None:
    with pytest.raises(CaConfigError, match=fragment):
        parse_ca_config(text, "ca.json")


def test_database_password_masked_in_diff(tmp_path: Path) -> None:
    config = tmp_path / "ca" / "config"
    config.mkdir(parents=True)
    (config / "ca.json").write_text(json.dumps({
        "db": {"type": "postgresql", "dataSource": "postgresql://step:PgCanary@db/step"},
        "authority": {"enableAdmin": False}}))
    ctx = context(tmp_path / "ca")
    hardened_text(ctx)
    seen: list[str] = []
    ctx.runner.sink = seen.append
    ctx.say('"dataSource": "postgresql://step:PgCanary@db/step"')
    assert seen == [f'"dataSource": "{MASK}"']


def test_state_of_other_steppath_is_dropped(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.set_answers({"steppath": "/etc/step-ca"})
    store.record("ca-init", StepStatus.DONE)
    store.set_fact("root_fingerprint", "ab" * 32)
    store.set_answers({"steppath": "/srv/ca"})
    assert store.status("ca-init") is StepStatus.PENDING
    assert store.fact("root_fingerprint") is None


@pytest.mark.parametrize("content", ["[1, 2, 3]", '{"steps": []}', '{"facts": 3}'])
def test_foreign_state_ignored(tmp_path: Path, content: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    store = StateStore(path)
    assert store.status("ca-init") is StepStatus.PENDING
    store.record("ca-init", StepStatus.DONE)


def test_steppath_value_is_posix(tmp_path: Path) -> None:
    assert context(tmp_path / "x").answers.steppath == PurePosixPath(str(tmp_path / "x"))


def test_state_file_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="not a regular file"):
        StateStore(tmp_path)


def test_state_file_unwritable_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StateFileError, match="--state-file"):
        StateStore(blocker / "state.json").save()


def test_cli_state_folder_clear_error(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from stepwizard import cli

    example = Path(__file__).parents[2] / "examples" / "answers.toml"
    code = cli.main(["apply", "--answers", str(example), "--state-file", str(tmp_path),
                     "--log-file", str(tmp_path / "log")])
    assert code == 2
    err = capsys.readouterr().err
    assert "not a regular file" in err
    assert "Traceback" not in err


def test_replace_file_replaces_link_itself(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("root data")
    link = tmp_path / "password.txt"
    link.symlink_to(victim)
    safefs.replace_file(link, b"new", uid=os.getuid(), gid=os.getgid(), mode=0o600)
    assert not link.is_symlink()
    assert link.read_bytes() == b"new"
    assert victim.read_text() == "root data"


def test_read_refuses_link_and_device(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("/etc/hostname")
    with pytest.raises(StepError, match="symbolic link"):
        safefs.read_bytes(tmp_path / "link")
    with pytest.raises(StepError, match="not a regular file"):
        safefs.read_bytes(Path("/dev/zero"))


def test_existing_human_account_refused() -> None:
    from stepwizard.steps.service_user import FIRST_HUMAN_UID, user_problem

    humans = [entry for entry in pwd.getpwall() if FIRST_HUMAN_UID <= entry.pw_uid < 60000]
    if not humans:
        pytest.skip("no regular account on this machine")
    entry = humans[0]
    assert "regular account" in (user_problem(entry.pw_name, entry.pw_dir) or "")


def test_escaped_database_password_masked(tmp_path: Path) -> None:
    config = tmp_path / "ca" / "config"
    config.mkdir(parents=True)
    (config / "ca.json").write_text(
        '{"db": {"type": "mysql", "dataSource": "step:Pa\\u0026ssw<rd@tcp(db)/"}}')
    ctx = context(tmp_path / "ca")
    hardened_text(ctx)
    seen: list[str] = []
    ctx.runner.sink = seen.append
    ctx.say('-    "dataSource": "step:Pa\\u0026ssw\\u003crd@tcp(db)/"')
    assert "ssw" not in seen[0]


@pytest.mark.parametrize("text", ['{"x": 1e400}', '{"x": ' + "9" * 5000 + "}"])
def test_ca_json_huge_numbers_refused(text: str) -> None:
    with pytest.raises(CaConfigError):
        parse_ca_config(text, "ca.json")


def test_unwritable_state_fails_step_cleanly(tmp_path: Path) -> None:
    """A state file that breaks mid-run turns into a failed step, not a crash."""
    from stepwizard.engine import run_step
    from stepwizard.steps.summary import Summary

    ctx = context(tmp_path / "ca")
    blocker = tmp_path / "file"
    blocker.write_text("")
    ctx.state.path = blocker / "state.json"
    outcome = run_step(Summary(), ctx)
    assert outcome.status is StepStatus.FAILED
    assert outcome.failure is not None
    assert "--state-file" in outcome.failure.message
