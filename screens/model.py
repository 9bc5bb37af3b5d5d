"""The wizard's UI state that outlives a screen: the answers being edited and step states."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import ValidationError

from stepwizard.answers import Answers, format_validation_error
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


def drop_invalid_hidden(draft: dict[str, Any], shown: set[str]) -> list[str]:
    """Reset the prefilled fields no form shows whose value is invalid; return the problems.

    No form could correct such a value, so keeping it would block every form.
    """
    problems: list[str] = []
    # The least a model needs to validate one other field on its own.
    minimal = {"ca_name": "x", "dns_names": ["x.example"]}
    for name, field in Answers.model_fields.items():
        if name in shown or name in minimal or name not in draft:
            continue
        try:
            Answers.model_validate({**minimal, name: draft[name]})
        except ValidationError as error:
            problems.extend(format_validation_error(error))
            draft[name] = field.get_default(call_default_factory=True)
    return problems


def display_value(value: Any) -> str:
    """Return a draft value as the text an input shows: lists comma-separated, None empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)
