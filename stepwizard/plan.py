"""Plans: the commands and file writes a step would perform, shown before it runs."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from stepwizard.i18n import _
from stepwizard.secrets import MASK


@dataclass(frozen=True)
class Command:
    """A command a step runs; secrets only ever travel in files or on stdin, never in argv."""

    argv: tuple[str, ...]
    purpose: str = ""
    user: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    stdin_note: str | None = None

    def render(self) -> str:
        """Return the command as a shell would show it, with its user and environment."""
        env = [f"{name}={value}" for name, value in self.env]
        words = ["env", *env] if env else []
        if self.user:
            words = ["runuser", "-u", self.user, "--", "env", *env]
        line = "$ " + shlex.join([*words, *self.argv])
        if self.stdin_note:
            line += "  < " + self.stdin_note
        return line


@dataclass(frozen=True)
class FileWrite:
    """A file a step writes, with its final owner and mode; ``secret`` masks the content."""

    path: PurePosixPath
    owner: str
    group: str
    mode: int
    content: str | None = None
    secret: bool = False
    purpose: str = ""

    def render(self) -> str:
        """Return a header line and the content, masked when secret."""
        header = _("write {path} (owner {owner}:{group}, mode {mode:04o})").format(
            path=self.path, owner=self.owner, group=self.group, mode=self.mode)
        if self.secret:
            return header + "\n    " + MASK
        if self.content is None:
            return header + "\n    " + _("(content computed when the step runs)")
        body = "\n".join("    " + line for line in self.content.rstrip("\n").splitlines())
        return header + "\n" + body


@dataclass(frozen=True)
class Check:
    """A read-only verification a step performs (no change to the host)."""

    description: str

    def render(self) -> str:
        """Return the check as one line."""
        return "? " + self.description


Action = Command | FileWrite | Check


@dataclass
class Plan:
    """The ordered actions of one step, plus notes the operator should read first."""

    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What would stop the real run, found without changing anything (a missing file, say).
    problems: list[str] = field(default_factory=list)

    def command(self, *argv: str, purpose: str = "", user: str | None = None,
                env: dict[str, str] | None = None, stdin_note: str | None = None) -> None:
        """Append a command."""
        self.actions.append(Command(tuple(argv), purpose, user,
                                    tuple(sorted((env or {}).items())), stdin_note))

    def write(self, path: PurePosixPath, content: str | None, *, owner: str = "root",
              group: str = "root", mode: int = 0o644, secret: bool = False,
              purpose: str = "") -> None:
        """Append a file write."""
        self.actions.append(FileWrite(path, owner, group, mode, content, secret, purpose))

    def check(self, description: str) -> None:
        """Append a read-only check."""
        self.actions.append(Check(description))

    def render(self) -> list[str]:
        """Return the plan as text lines for the UI and the ``plan`` command."""
        lines = [_("problem: {problem}").format(problem=problem) for problem in self.problems]
        lines += [_("note: {note}").format(note=note) for note in self.notes]
        for action in self.actions:
            lines.extend(action.render().splitlines())
        return lines
