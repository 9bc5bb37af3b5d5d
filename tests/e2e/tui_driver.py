"""Drive the wizard's TUI over ``ssh -tt`` at 80x24 with real keystrokes, reading it with pyte.

pexpect runs ssh with a pseudo-terminal of 24 rows and 80 columns. Everything the wizard
sends is fed to a pyte screen of the same size, and each wait polls the rendered text. The
walk: the welcome screen, the six forms pre-filled from ``--answers`` (accepted with
Ctrl-N), the review, the nine steps (``r`` to run, ``n`` for the next), then the summary,
whose fingerprint is read off the screen before ``q`` closes the wizard.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pexpect
import pyte

from .support import ANSWERS_IN_BED, WIZARD
from .testbed import TestBed

ROWS, COLUMNS = 24, 80
ENTER = "\r"
CTRL_N = "\x0e"
# Generous: a step such as Repository runs apt-get for several seconds.
STEP_TIMEOUT_SECONDS = 300.0
SCREEN_TIMEOUT_SECONDS = 30.0
FORM_HEADINGS = ("CA identity", "Provisioners", "Certificate durations", "System", "Repository",
                 "Passwords")
STEP_TITLES = ("Prerequisites", "Repository", "Service user", "CA initialisation",
               "Hardened configuration", "systemd service", "ACME provisioner",
               "Certificate durations", "Summary")
# Status sentences of a step screen (screens/step_screen.py).
READY = "read the plan, then press r to run it"
ALREADY_DONE = "already in place, nothing to change"
FINISHED = "press n for the next step"
FAILED = "press r to retry"
# The summary shows the fingerprint as groups of four hex digits, several per row.
GROUP_ROW = re.compile(r"[0-9a-f]{4}(?: +[0-9a-f]{4})*")
BOOTSTRAP_FINGERPRINT = re.compile(r"--fingerprint\s+([0-9a-f]{64})\b")


class TuiError(AssertionError):
    """The TUI did not show what the walk waited for; the message contains the screen."""


@dataclass
class TuiRun:
    """What a TUI run showed: its exit status, every distinct screen, the fingerprint."""

    exit_status: int
    screens: list[str] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def screens_text(self) -> str:
        """Every screen captured, separated by a rule."""
        return ("\n" + "-" * COLUMNS + "\n").join(self.screens)


class Terminal:
    """An ssh session with a pty whose output is rendered by pyte."""

    def __init__(self, bed: TestBed, command: str) -> None:
        argv = bed.ssh_argv(command, tty=True)
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8")
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(ROWS, COLUMNS),
                                   encoding="utf-8", codec_errors="replace")
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.Stream(self.screen)
        self.screens: list[str] = []

    def text(self) -> str:
        """Return the screen as it looks now, one line per row."""
        return "\n".join(line.rstrip() for line in self.screen.display)

    def pump(self, seconds: float) -> None:
        """Feed whatever the wizard sends within ``seconds`` to the screen."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                data = self.child.read_nonblocking(65536, timeout=remaining)
            except pexpect.TIMEOUT:
                return
            self.stream.feed(data)

    def wait_for(self, description: str, predicate: Callable[[str], bool],
                 timeout: float = SCREEN_TIMEOUT_SECONDS) -> str:
        """Pump output until ``predicate(screen text)`` holds; record and return that screen."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if predicate(text):
                # Let the frame finish drawing before it is recorded and keys are sent.
                self.pump(0.3)
                text = self.text()
                self.screens.append(text)
                return text
            if time.monotonic() > deadline:
                self.screens.append(text)
                raise TuiError(f"timed out after {timeout:.0f}s waiting for {description}; "
                               f"the screen shows:\n{text}")
            try:
                self.pump(0.2)
            except pexpect.EOF as error:
                self.screens.append(self.text())
                raise TuiError(f"the session ended while waiting for {description}; the "
                               f"screen shows:\n{self.text()}") from error

    def wait_text(self, *fragments: str, timeout: float = SCREEN_TIMEOUT_SECONDS) -> str:
        """Wait until every fragment is on the screen."""
        return self.wait_for(" and ".join(repr(f) for f in fragments),
                             lambda text: all(fragment in text for fragment in fragments),
                             timeout)

    def press(self, keys: str) -> None:
        """Send keys as typed on a keyboard."""
        self.child.send(keys)

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for the session to end and return the remote command's exit status."""
        deadline = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < deadline:
            try:
                self.pump(0.5)
            except pexpect.EOF:
                break
        self.child.close(force=True)
        status = self.child.exitstatus
        return status if status is not None else -1


def drive_tui(bed: TestBed) -> TuiRun:
    """Walk every screen of a real run to the summary and quit; return what it showed."""
    terminal = Terminal(bed, f"sudo {WIZARD} --answers {ANSWERS_IN_BED}")
    run = TuiRun(exit_status=-1, screens=terminal.screens)
    try:
        walk(terminal, run)
        run.exit_status = terminal.finish()
    finally:
        if terminal.child.isalive():
            terminal.child.close(force=True)
    return run


def main_column(screen: str) -> str:
    """Return a step screen's right-hand column as one lower-case line with single spaces.

    The step list takes the left of each row up to the first box line, and the status
    sentence wraps over several rows, so searching the joined column finds it whole.
    """
    parts = [line.split("│", 1)[1] if "│" in line else line for line in screen.splitlines()]
    return " ".join(" ".join(parts).split()).lower()


def shows_status(heading: str, fragments: tuple[str, ...]) -> Callable[[str], bool]:
    """Return a test for a step screen titled ``heading`` whose status has a fragment."""

    def test(screen: str) -> bool:
        return heading in screen and any(part in main_column(screen) for part in fragments)

    return test


def walk(terminal: Terminal, run: TuiRun) -> None:
    """Press through the welcome screen, the forms, the review, the steps and the summary."""
    welcome = terminal.wait_text("stepwizard · Welcome", "Start")
    assert "DRY RUN" not in welcome, welcome
    terminal.press(ENTER)

    for heading in FORM_HEADINGS:
        form = terminal.wait_text(f"stepwizard · {heading}")
        if heading == "CA identity":
            assert "ca.stepwizard.test" in form, form
        if heading == "Repository":
            assert "packages.stepwizard.test" in form, form
        terminal.press(CTRL_N)

    terminal.wait_text("stepwizard · Review the plan", "Nothing has run yet")
    terminal.press("n")

    for number, title in enumerate(STEP_TITLES, start=1):
        heading = f"Step {number} of {len(STEP_TITLES)}: {title}"
        ready = terminal.wait_for(f"{heading} ready to run",
                                  shows_status(heading, (READY, ALREADY_DONE)))
        if READY in main_column(ready):
            terminal.press("r")

        done = terminal.wait_for(f"{heading} done",
                                 shows_status(heading, (FINISHED, FAILED, "step failed")),
                                 timeout=STEP_TIMEOUT_SECONDS)
        if FINISHED not in main_column(done):
            raise TuiError(f"{heading} failed; the screen shows:\n{done}")
        if f"✓ {number} {title}" not in done:
            raise TuiError(f"the step list does not mark {title} done:\n{done}")
        terminal.press("n")

    summary = terminal.wait_text("stepwizard · Summary", "The CA is running")
    run.fingerprint = read_fingerprint(summary)
    bootstrap = read_bootstrap_fingerprint(summary)
    if run.fingerprint != bootstrap:
        raise TuiError(f"the summary shows the fingerprint {run.fingerprint!r} but the client "
                       f"command has {bootstrap!r}:\n{summary}")
    terminal.press("q")


def read_fingerprint(screen: str) -> str:
    """Return the fingerprint shown in groups of four on the summary screen, or ''.

    The groups fill the rows of a framed panel; every row that holds only four-digit hex
    groups between the frame's characters is part of it.
    """
    digits = ""
    for line in screen.splitlines():
        inner = line.strip().strip("║│|").strip()
        if inner and GROUP_ROW.fullmatch(inner):
            digits += inner.replace(" ", "")
    return digits


def read_bootstrap_fingerprint(screen: str) -> str:
    """Return the fingerprint in the summary's 'step ca bootstrap' command, or ''."""
    found = BOOTSTRAP_FINGERPRINT.search(screen)
    return found.group(1) if found else ""
