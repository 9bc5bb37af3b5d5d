"""Runs the step CLI under a pseudo-terminal and answers or bridges the prompts it shows."""

from __future__ import annotations

import logging
import re
import shlex
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pexpect

from stepwizard.i18n import _
from stepwizard.runner import (
    CommandError,
    CommandResult,
    Runner,
    as_user,
    child_environment,
    strip_ansi,
)
from stepwizard.secrets import REDACTOR

log = logging.getLogger(__name__)

# step redraws its input line on every keystroke; this much silence means it waits for us.
IDLE_SECONDS = 20.0


@dataclass(frozen=True)
class Prompt:
    """A prompt step may show, and how to answer it.

    ``answer`` receives the regular expression match and returns the keys to send, or None to
    abort. ``once`` marks prompts whose repetition means the answer was rejected (a wrong
    password is followed by the same prompt with no error text).
    """

    pattern: str
    answer: Callable[[re.Match[str]], str | None]
    description: str
    once: bool = False


class PromptError(RuntimeError):
    """step stopped at a prompt the wizard could not answer; ``screen`` is what it showed."""

    def __init__(self, message: str, screen: str) -> None:
        self.screen = screen
        super().__init__(message + "\n" + screen)


def _screen(buffer: str) -> str:
    """Return the last lines of a pty transcript as readable text."""
    text = REDACTOR.redact(strip_ansi(buffer).replace("\x01", "*"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-8:])


def run_step_cli(runner: Runner, argv: Sequence[str], *, user: str | None,
                 env: dict[str, str], prompts: Sequence[Prompt] = (),
                 timeout: float = 300.0, hint: str = "", check: bool = True,
                 quiet: bool = False) -> CommandResult:
    """Run a step command in a pseudo-terminal, answering ``prompts``; return its output.

    Raise PromptError when step waits at a prompt not in ``prompts`` (or repeats a ``once``
    prompt), and CommandError when it exits non-zero or runs past ``timeout`` seconds.
    """
    full = as_user(argv, user, env)
    if shutil.which(argv[0]) is None:
        raise CommandError(full, 127, [], _("program not found: {name}; step comes with the "
                                            "step-cli package, installed by the Repository "
                                            "step").format(name=argv[0]))
    shown = REDACTOR.redact(shlex.join(full))
    log.info("run (pty): %s", shown)
    if not quiet:
        runner.sink("$ " + shown)
    started = time.monotonic()
    child = pexpect.spawn(full[0], full[1:], env=child_environment(), encoding="utf-8",
                          codec_errors="replace", dimensions=(40, 200), echo=False)
    patterns = [re.compile(prompt.pattern) for prompt in prompts]
    seen: set[int] = set()
    transcript: list[str] = []
    pending = ""

    def flush(text: str, final: bool = False) -> str:
        """Send complete lines to the operator; keep the unfinished rest."""
        nonlocal pending
        pending += text
        *complete, pending = pending.split("\n")
        if final and pending:
            complete.append(pending)
            pending = ""
        for raw in complete:
            line = REDACTOR.redact(strip_ansi(raw)).strip()
            if line and not quiet:
                runner.sink(line)
        return text

    try:
        while True:
            remaining = timeout - (time.monotonic() - started)
            if remaining <= 0:
                raise CommandError(full, None, [_screen("".join(transcript))], hint)
            index = child.expect([*patterns, pexpect.EOF, pexpect.TIMEOUT],
                                 timeout=min(IDLE_SECONDS, remaining))
            chunk = (child.before or "") + (child.after if isinstance(child.after, str) else "")
            transcript.append(chunk)
            flush(chunk)
            if index == len(patterns):
                break
            if index == len(patterns) + 1:
                screen = _screen("".join(transcript))
                raise PromptError(_("step is waiting at a prompt the wizard does not know:"),
                                  screen)
            prompt = prompts[index]
            if prompt.once and index in seen:
                raise PromptError(
                    _("step asked again: {prompt} (the answer given was rejected)").format(
                        prompt=prompt.description), _screen("".join(transcript)))
            seen.add(index)
            match = child.match
            assert isinstance(match, re.Match)
            keys = prompt.answer(match)
            if keys is None:
                child.sendcontrol("c")
                child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=10)
                raise PromptError(_("cancelled at: {prompt}").format(
                    prompt=prompt.description), _screen("".join(transcript)))
            log.info("answered prompt: %s", prompt.description)
            child.send(keys)
    finally:
        flush("", final=True)
        child.close(force=True)
    returncode = child.exitstatus if child.exitstatus is not None else 128 + (
        child.signalstatus or 0)
    elapsed = time.monotonic() - started
    runner.history.append((shown, returncode, elapsed))
    log.info("exit %s after %.1fs: %s", returncode, elapsed, shown)
    lines = [REDACTOR.redact(line).strip() for line in
             strip_ansi("".join(transcript)).replace("\x01", "*").splitlines()]
    lines = [line for line in lines if line]
    if check and returncode != 0:
        for line in lines[-20:]:
            log.info("  | %s", line)
        raise CommandError(full, returncode, lines[-20:], hint)
    return CommandResult(list(full), returncode, lines)
