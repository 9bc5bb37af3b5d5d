"""Atomic writes with backups, and the command line's headless commands."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from stepwizard import cli
from stepwizard.files import backup_file, restore_or_remove, write_file

EXAMPLE = Path(__file__).parents[2] / "examples" / "answers.toml"
ME = (os.getuid(), os.getgid())


@pytest.fixture
def owner() -> tuple[str, str]:
    import grp
    import pwd

    return pwd.getpwuid(ME[0]).pw_name, grp.getgrgid(ME[1]).gr_name


def test_write_file_creates_with_mode(tmp_path: Path, owner: tuple[str, str]) -> None:
    path = tmp_path / "secret.txt"
    assert write_file(path, "pw\n", owner=owner[0], group=owner[1], mode=0o600) is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "pw\n"


def test_write_file_backs_up_changed_file(tmp_path: Path, owner: tuple[str, str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stepwizard.files.BACKUP_ROOT", tmp_path / "backups")
    path = tmp_path / "unit.service"
    path.write_text("old\n")
    saved = write_file(path, "new\n", owner=owner[0], group=owner[1])
    assert saved is not None
    assert saved.read_text() == "old\n"
    assert path.read_text() == "new\n"
    restore_or_remove(path, saved)
    assert path.read_text() == "old\n"


def test_write_file_same_content_makes_no_backup(tmp_path: Path,
                                                 owner: tuple[str, str]) -> None:
    path = tmp_path / "same"
    path.write_text("x")
    assert write_file(path, "x", owner=owner[0], group=owner[1]) is None


def test_restore_or_remove_deletes_new_file(tmp_path: Path) -> None:
    path = tmp_path / "new"
    path.write_text("x")
    restore_or_remove(path, None)
    assert not path.exists()


def test_backup_outside_folder(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "file"
    path.parent.mkdir()
    path.write_text("x")
    saved = backup_file(path, tmp_path / "backups")
    assert saved is not None
    assert saved.parent != path.parent
    assert backup_file(tmp_path / "absent", tmp_path / "backups") is None


def test_cli_apply_dry_run_prints_every_step(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    code = cli.main(["apply", "--answers", str(EXAMPLE), "--dry-run", "--trust-on-first-use",
                     "--log-file", str(tmp_path / "log")])
    out = capsys.readouterr().out
    assert code == 0
    for number in range(1, 10):
        assert f"[{number}/9]" in out
    assert "step ca init" in out
    assert "dry run: nothing was run, only the log was written" in out


def test_cli_dry_run_reports_blocking_problems(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    """A dry run that a real run could not follow exits 1 and says why."""
    answers = tmp_path / "answers.toml"
    answers.write_text(EXAMPLE.read_text() + f'password_file = "{tmp_path}/absent"\n')
    code = cli.main(["apply", "--answers", str(answers), "--dry-run",
                     "--log-file", str(tmp_path / "log")])
    err = capsys.readouterr().err
    assert code == 1
    assert "password_file: password file" in err
    assert "--trust-on-first-use" in err


def test_cli_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["plan", "--answers", str(EXAMPLE), "--log-file",
                     str(tmp_path / "log")]) == 0
    assert "systemd-analyze verify" in capsys.readouterr().out


def test_cli_bad_answers_names_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('ca_name = "x"\ndns_names = ["bad_name"]\n')
    assert cli.main(["plan", "--answers", str(bad), "--log-file", str(tmp_path / "log")]) == 2
    err = capsys.readouterr().err
    assert "dns_names" in err
    assert "bad_name" in err


def test_cli_apply_needs_root(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code = cli.main(["apply", "--answers", str(EXAMPLE), "--log-file", str(tmp_path / "log")])
    assert code == 2
    assert "sudo" in capsys.readouterr().err


def test_cli_setup_needs_root(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert cli.main(["setup", "--log-file", str(tmp_path / "log")]) == 2
    err = capsys.readouterr().err
    assert "with sudo" in err
    assert "--dry-run" in err


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--version"])
    assert caught.value.code == 0
    assert "stepwizard 0.1.0" in capsys.readouterr().out


def test_cli_unwritable_log(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["plan", "--answers", str(EXAMPLE), "--log-file",
                     str(blocker / "log")]) == 2
    assert "--log-file" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--answers", str(EXAMPLE)], ["--dry-run"],
                                  ["--lang", "en", "--answers", str(EXAMPLE)]])
def test_cli_options_without_command_mean_setup(argv: list[str], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Setup options without a command start the wizard, as 'stepwizard --answers FILE' does."""
    seen: list[tuple[bool, Path | None]] = []

    def fake_setup(args: object, log_file: Path | None) -> int:
        seen.append((getattr(args, "dry_run", None), getattr(args, "answers", None)))
        return 0

    monkeypatch.setattr(cli, "command_setup", fake_setup)
    assert cli.main([*argv, "--log-file", str(tmp_path / "log")]) == 0
    expected_answers = EXAMPLE if "--answers" in argv else None
    assert seen == [("--dry-run" in argv, expected_answers)]


def test_cli_setup_prefills_partial_answers(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """An answers file that misses fields still fills the forms with what it has."""
    import screens.app

    partial = tmp_path / "partial.toml"
    partial.write_text('ca_name = "Lab CA"\nunknown_field = 1\n')
    seen: dict[str, object] = {}

    def fake_run_wizard(**kwargs: object) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(screens.app, "run_wizard", fake_run_wizard)
    assert cli.main(["setup", "--dry-run", "--answers", str(partial),
                     "--log-file", str(tmp_path / "log")]) == 0
    assert seen["answers"] is None
    assert seen["prefill"] == {"ca_name": "Lab CA"}


def test_cli_setup_rejects_unparsable_answers(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("ca_name = \n")
    assert cli.main(["setup", "--dry-run", "--answers", str(broken),
                     "--log-file", str(tmp_path / "log")]) == 2
    assert "not valid TOML" in capsys.readouterr().err
