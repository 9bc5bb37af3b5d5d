"""Questions a step may need to ask mid-run, answered by a dialog or by the answers file."""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from stepwizard.answers import Answers
from stepwizard.i18n import _


class Topic(Enum):
    """What a confirmation is about, so headless mode can map it to an answers field."""

    TRUST_KEY = "trust-key"
    REINITIALIZE = "reinitialize"
    OVERWRITE_FILE = "overwrite-file"


class NeedsOperator(RuntimeError):
    """Headless mode met a question the answers file does not settle."""


class Interaction(Protocol):
    """How a running step asks the operator something; called from a worker thread."""

    def confirm(self, topic: Topic, title: str, message: str) -> bool:
        """Ask a yes/no question; return True only on an explicit yes."""
        ...

    def choose(self, title: str, options: list[str]) -> int | None:
        """Ask for one of ``options``; return its index, or None when cancelled."""
        ...


class HeadlessInteraction:
    """Answers questions from the answers file; anything else stops the run with a clear error."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def confirm(self, topic: Topic, title: str, message: str) -> bool:
        """Return the answers-file decision for ``topic`` or raise NeedsOperator."""
        if topic is Topic.TRUST_KEY:
            if self.answers.trust_on_first_use:
                return True
            raise NeedsOperator(
                message + "\n" + _("Set repository_key_fingerprint to the expected value in the "
                                   "answers file, or set trust_on_first_use = true to accept it.")
            )
        if topic is Topic.REINITIALIZE:
            if self.answers.reinitialize:
                return True
            raise NeedsOperator(
                message + "\n" + _("Set reinitialize = true in the answers file to replace it "
                                   "(the old PKI is kept in a backup folder).")
            )
        raise NeedsOperator(message)

    def choose(self, title: str, options: list[str]) -> int | None:
        """Raise NeedsOperator: headless mode never guesses from a menu."""
        raise NeedsOperator(_("{title}: no answer given for this menu: {options}").format(
            title=title, options=", ".join(options)))
