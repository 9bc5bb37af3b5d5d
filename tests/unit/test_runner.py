"""The command runner, the pty bridge and redaction of secrets in their output."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stepwizard.runner import CommandError, Runner, as_user, strip_ansi
from stepwizard.secrets import MASK, REDACTOR, Redactor, Secret, generate_password
from stepwizard.stepcli import Prompt, PromptError, run_step_cli

CANARY = "canary-Pw-7f3a9c"

# A small interactive program with step-like prompts, to drive through a real pty.
PROMPTER = r"""
import sys
answer = input("Would you like to overwrite /tmp/x/root_ca.crt [y/n]: ")
print("got", answer)
password = input("Please enter the password to decrypt the provisioner key: ")
if password != sys.argv[1]:
    password = input("Please enter the password to decrypt the provisioner key: ")
print("\x1b[32mRoot fingerprint:\x1b[0m " + "ab" * 32)
"""


def test_secret_repr_is_masked() -> None:
    secret = Secret(CANARY)
    assert CANARY not in repr(secret)
    assert CANARY not in str(secret)
    assert CANARY not in f"{secret}"
    assert secret.reveal() == CANARY


def test_generated_passwords_differ() -> None:
    first, second = generate_password(), generate_password()
    assert len(first.reveal()) == 32
    assert first != second


def test_redactor_masks_every_registered_value() -> None:
    redactor = Redactor()
    redactor.register(Secret("short"))
    redactor.register("short-and-longer")
    assert redactor.redact("a short-and-longer b short") == f"a {MASK} b {MASK}"
    redactor.register("")
    assert redactor.redact("nothing") == "nothing"


def test_strip_ansi() -> None:
    assert strip_ansi("\x1b[1m\x1b[32m✔\x1b[0m done\r") == "✔ done"


def test_as_user_wraps_with_runuser() -> None:
    assert as_user(["step", "version"], "step", {"STEPPATH": "/etc/step-ca"}) == [
        "runuser", "-u", "step", "--", "env", "STEPPATH=/etc/step-ca", "step", "version"]
    assert as_user(["true"], None, None) == ["true"]


def test_run_streams_redacted_lines() -> None:
    REDACTOR.register(CANARY)
    seen: list[str] = []
    runner = Runner(sink=seen.append)
    result = runner.run([sys.executable, "-c", f"print('pw={CANARY}'); print('next')"])
    assert result.returncode == 0
    assert result.lines == [f"pw={MASK}", "next"]
    assert all(CANARY not in line for line in seen)
    assert runner.history[0][1] == 0


def test_run_feeds_secret_on_stdin() -> None:
    runner = Runner()
    result = runner.run([sys.executable, "-c", "import sys; print(len(sys.stdin.read()))"],
                        stdin=Secret("12345"))
    assert result.lines == ["5"]


def test_run_failure_keeps_tail_and_status() -> None:
    runner = Runner()
    with pytest.raises(CommandError) as caught:
        runner.run([sys.executable, "-c", "print('boom'); raise SystemExit(3)"],
                   hint="try again")
    assert caught.value.returncode == 3
    assert caught.value.tail == ["boom"]
    assert "exit status 3" in str(caught.value)
    assert "try again" in str(caught.value)


def test_run_timeout() -> None:
    with pytest.raises(CommandError, match="timed out"):
        Runner().run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)


def test_run_missing_program() -> None:
    with pytest.raises(CommandError, match="program not found"):
        Runner().run(["/nonexistent/program"])


def test_pty_bridge_answers_prompts(tmp_path: Path) -> None:
    script = tmp_path / "prompter.py"
    script.write_text(PROMPTER)
    REDACTOR.register(CANARY)
    seen: list[str] = []
    prompts = [
        Prompt(r"Would you like to overwrite (\S+) \[y/n\]", lambda m: "y\r", "overwrite"),
        Prompt(r"Please enter the password to decrypt the provisioner key", lambda m:
               CANARY + "\r", "provisioner password", once=True),
    ]
    result = run_step_cli(Runner(sink=seen.append), [sys.executable, str(script), CANARY],
                          user=None, env={}, prompts=prompts, timeout=30)
    assert "got y" in result.output
    assert "Root fingerprint: " + "ab" * 32 in result.output
    assert all(CANARY not in line for line in seen)


def test_pty_bridge_repeated_password_prompt_fails(tmp_path: Path) -> None:
    script = tmp_path / "prompter.py"
    script.write_text(PROMPTER)
    prompts = [
        Prompt(r"Would you like to overwrite (\S+) \[y/n\]", lambda m: "n\r", "overwrite"),
        Prompt(r"Please enter the password to decrypt the provisioner key", lambda m:
               "wrong\r", "provisioner password", once=True),
    ]
    with pytest.raises(PromptError, match="rejected"):
        run_step_cli(Runner(), [sys.executable, str(script), "right"], user=None, env={},
                     prompts=prompts, timeout=30)


def test_pty_bridge_unknown_prompt_fails_with_screen(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stepwizard.stepcli.IDLE_SECONDS", 1.0)
    script = tmp_path / "asker.py"
    script.write_text("input('What is your favourite colour? ')\n")
    with pytest.raises(PromptError) as caught:
        run_step_cli(Runner(), [sys.executable, str(script)], user=None, env={}, timeout=30)
    assert "favourite colour" in caught.value.screen
