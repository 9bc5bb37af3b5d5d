"""Runs real commands on this host, streaming redacted output and logging each run."""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from stepwizard.i18n import _
from stepwizard.secrets import REDACTOR, Secret

log = logging.getLogger(__name__)

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# How many output lines an error keeps to show the operator.
TAIL_LINES = 20

OutputSink = Callable[[str], None]


def strip_ansi(text: str) -> str:
    """Remove terminal escape sequences and carriage returns from ``text``."""
    return _ANSI.sub("", text).replace("\r", "")


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment for a child process: this one's, a C.UTF-8 locale, plus ``extra``.

    Secrets never go into it: passwords travel in 0600 files or on stdin only.
    """
    env = dict(os.environ)
    env.setdefault("LANG", "C.UTF-8")
    env["DEBIAN_FRONTEND"] = "noninteractive"
    env.update(extra or {})
    return env


def as_user(argv: Sequence[str], user: str | None, env: dict[str, str] | None) -> list[str]:
    """Wrap ``argv`` so it runs as ``user`` with ``env`` set, through runuser(1) when needed."""
    words = [f"{name}={value}" for name, value in sorted((env or {}).items())]
    if user is None:
        return ["env", *words, *argv] if words else list(argv)
    return ["runuser", "-u", user, "--", "env", *words, *argv]


@dataclass
class CommandResult:
    """Exit status and redacted, escape-free output lines of one command."""

    argv: list[str]
    returncode: int
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        """All output lines joined."""
        return "\n".join(self.lines)


class CommandError(RuntimeError):
    """A command failed; carries what the operator needs to understand it."""

    def __init__(self, argv: Sequence[str], returncode: int | None, tail: list[str],
                 hint: str = "") -> None:
        self.argv = [REDACTOR.redact(word) for word in argv]
        self.returncode = returncode
        self.tail = tail
        self.hint = hint
        status = (_("timed out") if returncode is None
                  else _("exit status {code}").format(code=returncode))
        message = _("command failed ({status}): {command}").format(
            status=status, command=shlex.join(self.argv))
        super().__init__(message + (("\n" + hint) if hint else ""))


class Runner:
    """Runs commands for the steps; each line of output goes to ``sink`` already redacted."""

    def __init__(self, sink: OutputSink | None = None) -> None:
        self.sink: OutputSink = sink or (lambda line: None)
        self.history: list[tuple[str, int | None, float]] = []

    def emit(self, text: str) -> None:
        """Send a line of progress to the operator, redacted and without escapes."""
        for line in strip_ansi(text).splitlines() or [""]:
            self.sink(REDACTOR.redact(line))

    def run(self, argv: Sequence[str], *, user: str | None = None,
            env: dict[str, str] | None = None, stdin: Secret | str | None = None,
            check: bool = True, timeout: float | None = 600, quiet: bool = False,
            hint: str = "") -> CommandResult:
        """Run ``argv`` (as ``user`` with ``env``), stream its output, and return the result.

        ``stdin`` feeds a secret without argv or environment. Raise CommandError when the
        command exits non-zero and ``check`` is true, or when it runs past ``timeout`` seconds.
        """
        full = as_user(argv, user, env)
        shown = REDACTOR.redact(shlex.join(full))
        log.info("run: %s", shown)
        if not quiet:
            self.sink("$ " + shown)
        started = time.monotonic()
        data = stdin.reveal() if isinstance(stdin, Secret) else stdin
        tail: deque[str] = deque(maxlen=TAIL_LINES)
        lines: list[str] = []
        try:
            process = subprocess.Popen(
                full, stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_environment(),
                text=True, errors="replace", start_new_session=True,
            )
        except FileNotFoundError as error:
            raise CommandError(full, 127, [], _("program not found: {name}").format(
                name=error.filename)) from error
        assert process.stdout is not None
        if data is not None and process.stdin is not None:
            process.stdin.write(data)
            process.stdin.close()
        timed_out = threading.Event()

        def kill_on_timeout() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, kill_on_timeout) if timeout is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            for raw in process.stdout:
                line = REDACTOR.redact(strip_ansi(raw.rstrip("\n")))
                lines.append(line)
                tail.append(line)
                if not quiet:
                    self.sink(line)
            status = process.wait()
        finally:
            if timer is not None:
                timer.cancel()
        returncode: int | None = None if timed_out.is_set() else status
        elapsed = time.monotonic() - started
        self.history.append((shown, returncode, elapsed))
        log.info("exit %s after %.1fs: %s", returncode, elapsed, shown)
        if returncode is None or (check and returncode != 0):
            for line in tail:
                log.info("  | %s", line)
            raise CommandError(full, returncode, list(tail), hint)
        return CommandResult(full, returncode, lines)
