"""Messages that step workers post to their screen; the only way a worker reports back."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from stepwizard.engine import Outcome


@dataclass
class StepOutput(Message):
    """One line of output from the running step, already redacted and escape-free."""

    line: str


@dataclass
class StepChecked(Message):
    """Result of the step's ``is_done`` check."""

    done: bool


@dataclass
class StepFinished(Message):
    """Result of running the step through the engine."""

    outcome: Outcome
