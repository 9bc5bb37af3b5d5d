"""A typed CA password never reaches the screen, a picture, the output panes, a log or a file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input
from ui_walk import (
    CANARY,
    ScriptedStep,
    log_lines,
    make_app,
    press,
    run_app,
    screen_text,
    to_forms,
    type_password,
)

from screens.model import StepState
from screens.step_screen import StepScreen
from stepwizard.logsetup import setup_logging
from stepwizard.secrets import MASK
from stepwizard.state import StateStore

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "snapshots"


def test_canary_hidden_in_dry_run(tmp_path: Path) -> None:
    """Through a whole dry run, no screen and no output line shows the typed password."""
    log_file = setup_logging(tmp_path / "stepwizard.log")
    app = make_app(log_file=log_file)
    screens: list[str] = []

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)
        await type_password(pilot, CANARY)
        screens.append(screen_text(app))
        screens.append(app.export_screenshot())
        await press(pilot, "ctrl+n")
        screens.append(screen_text(app))
        await press(pilot, "n")
        while isinstance(app.screen, StepScreen):
            await press(pilot, "r")
            screens.append(screen_text(app))
            screens.append(app.export_screenshot())
            await press(pilot, "n")
        screens.append(screen_text(app))
        lines.extend(log_lines(app))

    lines: list[str] = []

    run_app(app, scenario)
    logging.getLogger("stepwizard").handlers.clear()

    assert app.context is not None
    assert app.context.ca_password is not None
    assert app.context.ca_password.reveal() == CANARY
    assert all(state is StepState.DRY_RUN for state in app.step_states.values())
    for text in screens:
        assert CANARY not in text
    assert any("would run" in line for line in lines)
    for line in lines:
        assert CANARY not in line
    assert CANARY not in log_file.read_text()


def test_canary_redacted_in_real_run(tmp_path: Path) -> None:
    """A step that prints the password shows the mask; the state file never contains it."""
    step = ScriptedStep(command=["echo", f"password is {CANARY}"])
    state_path = tmp_path / "state.json"
    log_file = setup_logging(tmp_path / "stepwizard.log")
    app = make_app(dry_run=False, steps=[step], state=StateStore(state_path), log_file=log_file)

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)
        await type_password(pilot, CANARY)
        await press(pilot, "ctrl+n", "n")
        assert isinstance(app.screen, StepScreen)
        await press(pilot, "r")
        lines.extend(log_lines(app))

    lines: list[str] = []
    run_app(app, scenario)
    logging.getLogger("stepwizard").handlers.clear()

    assert f"password is {MASK}" in lines
    for line in lines:
        assert CANARY not in line
    assert CANARY not in state_path.read_text()
    assert CANARY not in log_file.read_text()


def test_canary_shown_when_revealed() -> None:
    """The reveal switch is the one way to see the password, so this check can fail."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)
        await type_password(pilot, CANARY, reveal=True)
        assert CANARY in screen_text(app)
        assert app.screen.query_one("#password", Input).password is False

    run_app(app, scenario)


def test_canary_absent_from_snapshots() -> None:
    """No stored snapshot picture contains the canary password."""
    pictures = list(SNAPSHOT_DIR.rglob("*.svg"))
    assert pictures, f"no snapshot in {SNAPSHOT_DIR}: run pytest tests/ui --snapshot-update"
    for picture in pictures:
        assert CANARY not in picture.read_text(), picture.name
