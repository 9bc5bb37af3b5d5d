"""Widgets shared by several wizard screens."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from screens.model import STATE_LABELS, STATE_SYMBOLS, StepState
from stepwizard.i18n import _
from stepwizard.steps import Step


def plan_renderable(lines: Sequence[str]) -> Group:
    """Return plan lines so that a wrapped line continues under its own indentation."""
    rows = []
    for line in lines:
        body = line.lstrip(" ")
        rows.append(Padding(Text(body), (0, 0, 0, len(line) - len(body))))
    return Group(*rows)


class TopBar(Horizontal):
    """The first line of every screen: the program, the screen name and the dry-run badge."""

    def __init__(self, place: str, *, dry_run: bool) -> None:
        super().__init__()
        self._place = place
        self._dry_run = dry_run

    def compose(self) -> ComposeResult:
        """Show the program and place on the left, the dry-run badge on the right."""
        yield Static(Text(f"stepwizard · {self._place}", no_wrap=True, overflow="ellipsis"),
                     id="top-place")
        if self._dry_run:
            yield Static(_(" DRY RUN "), id="top-badge")


class StepSidebar(Static):
    """The list of every step with its state as a symbol, a number and a title."""

    def __init__(self, steps: Sequence[Step], states: dict[str, StepState],
                 current: str | None) -> None:
        super().__init__(id="sidebar")
        self._steps = steps
        self._states = states
        self._current = current

    def render(self) -> Text:
        """Return one line per step, the current one in reverse video, then a legend."""
        text = Text(no_wrap=True, overflow="ellipsis")
        for number, step in enumerate(self._steps, start=1):
            state = self._states.get(step.id, StepState.PENDING)
            line = f"{STATE_SYMBOLS[state]} {number} {_(step.title)}"
            style = "reverse" if step.id == self._current else ""
            text.append(line, style=style)
            text.append("\n")
        text.append("\n")
        for state in StepState:
            text.append(f"{STATE_SYMBOLS[state]} {_(STATE_LABELS[state])}\n", style="dim")
        return text


def button_bar_buttons(*buttons: tuple[str, str, str]) -> list[Button]:
    """Build compact buttons from (id, label, variant) triples for a screen's button row."""
    return [Button(label, id=button_id, variant=variant, compact=True)  # type: ignore[arg-type]
            for button_id, label, variant in buttons]
