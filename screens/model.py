"""The wizard's UI state that outlives a screen: the answers being edited and step states."""

from __future__ import annotations

from enum import Enum
from typing import Any

from stepwizard.answers import Answers
from stepwizard.i18n import N_
from stepwizard.state import StepStatus


class StepState(Enum):
    """State of a step on screen; ``DRY_RUN`` marks a step shown but not run."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    DRY_RUN = "dry-run"


# Symbols keep the state readable without colour (16-colour terminals, colour blindness).
STATE_SYMBOLS: dict[StepState, str] = {
    StepState.PENDING: "○",
    StepState.RUNNING: "▶",
    StepState.DONE: "✓",
    StepState.SKIPPED: "»",
    StepState.FAILED: "✗",
    StepState.DRY_RUN: "~",
}

# Marked with N_ and translated where shown.
STATE_LABELS: dict[StepState, str] = {
    StepState.PENDING: N_("pending"),
    StepState.RUNNING: N_("running"),
    StepState.DONE: N_("done"),
    StepState.SKIPPED: N_("skipped"),
    StepState.FAILED: N_("failed"),
    StepState.DRY_RUN: N_("dry run"),
}


def state_from_status(status: StepStatus) -> StepState:
    """Map a saved step status to its screen state; a run cut off while running is pending."""
    if status is StepStatus.RUNNING:
        return StepState.PENDING
    return StepState(status.value)


def initial_draft(answers: Answers | None, saved: dict[str, Any] | None) -> dict[str, Any]:
    """Return the form values to start from: the answers file, else saved answers, else defaults.

    Saved answers keep only known fields, so an old state file cannot break every form.
    """
    if answers is not None:
        return answers.model_dump(mode="json")
    draft: dict[str, Any] = {"ca_name": "", "dns_names": []}
    for name, field in Answers.model_fields.items():
        if not field.is_required():
            draft[name] = field.get_default(call_default_factory=True)
    if saved:
        draft.update({name: value for name, value in saved.items() if name in draft})
    return draft


def display_value(value: Any) -> str:
    """Return a draft value as the text an input shows: lists comma-separated, None empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)
