"""Step screens in a real run, driven by scripted steps that touch nothing on the host."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button
from ui_walk import (
    ScriptedStep,
    log_lines,
    make_app,
    open_step,
    press,
    real_app,
    run_app,
    screen_text,
    settle,
    to_review,
    wait_for_screen,
)

from screens.modals import ChooseScreen, ConfirmScreen, ErrorScreen
from screens.model import StepState
from screens.step_screen import StepScreen
from stepwizard.state import StateStore, StepStatus


def test_done_step_offers_next(tmp_path: Path) -> None:
    """A step already in place is marked done, with Run disabled and Next offered."""
    step = ScriptedStep(done=True)
    app = real_app(step, tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        assert "already in place" in screen_text(app)
        assert app.screen.query_one("#run", Button).disabled
        assert not app.screen.query_one("#next", Button).disabled
        assert "✓ 1 Scripted step" in screen_text(app)

    run_app(app, scenario)
    assert app.step_states["scripted"] is StepState.DONE
    assert step.applied == 0


def test_output_streams_every_line(tmp_path: Path) -> None:
    """Every line the worker emits reaches the output pane, in order."""
    step = ScriptedStep(lines=3000)
    app = real_app(step, tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await press(pilot, "r")
        lines = [line for line in log_lines(app) if line.startswith("output line")]
        assert lines == [f"output line {number}" for number in range(3000)]

    run_app(app, scenario)
    assert app.step_states["scripted"] is StepState.DONE
    assert StateStore(tmp_path / "state.json").status("scripted") is StepStatus.DONE


def test_failure_opens_error_dialog(tmp_path: Path) -> None:
    """A failed step shows its message in a dialog; Retry runs it again until it succeeds."""
    step = ScriptedStep(failures=1)
    app = real_app(step, tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await press(pilot, "r")
        assert isinstance(app.screen, ErrorScreen)
        assert "disk full on /var" in screen_text(app)
        assert app.step_states["scripted"] is StepState.FAILED
        await press(pilot, "r")
        assert isinstance(app.screen, StepScreen)

    run_app(app, scenario)
    assert step.applied == 2
    assert app.step_states["scripted"] is StepState.DONE


def test_error_dialog_shows_command(tmp_path: Path) -> None:
    """A failed command shows the command, its exit status and its last output lines."""
    step = ScriptedStep(command=["sh", "-c", "echo first; echo boom; exit 3"])
    app = real_app(step, tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await press(pilot, "r")
        assert isinstance(app.screen, ErrorScreen)
        text = screen_text(app)
        assert "Command: sh -c" in text
        assert "Exit status: 3" in text
        assert "| boom" in text
        await press(pilot, "escape")
        assert isinstance(app.screen, StepScreen)
        assert "✗ failed" in screen_text(app)

    run_app(app, scenario)
    assert StateStore(tmp_path / "state.json").status("scripted") is StepStatus.FAILED


def test_check_error_opens_dialog(tmp_path: Path) -> None:
    """An exception from the is_done worker becomes the error dialog, not a crash."""
    step = ScriptedStep(check_error=PermissionError("cannot read /etc/step-ca"))
    app = real_app(step, tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_review(pilot)
        await press(pilot, "n")
        assert isinstance(app.screen, ErrorScreen)
        assert "cannot read /etc/step-ca" in screen_text(app)

    run_app(app, scenario)
    assert app.step_states["scripted"] is StepState.FAILED


def test_confirm_waits_for_operator(tmp_path: Path) -> None:
    """A question from the worker opens a dialog, and the answer reaches the step."""
    step = ScriptedStep(ask=True)
    app = real_app(step, tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await pilot.press("r")
        await wait_for_screen(pilot, ConfirmScreen)
        assert "A PKI exists in STEPPATH." in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert "confirmed: True" in log_lines(app)

    run_app(app, scenario)


def test_confirm_defaults_to_no(tmp_path: Path) -> None:
    """Enter on the question dialog answers No, the focused button."""
    step = ScriptedStep(ask=True)
    app = real_app(step, tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await pilot.press("r")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert "confirmed: False" in log_lines(app)

    run_app(app, scenario)


def test_choose_returns_index(tmp_path: Path) -> None:
    """A menu from the worker returns the index of the option picked with the keyboard."""
    step = ScriptedStep(menu=True)
    app = real_app(step, tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await pilot.press("r")
        await wait_for_screen(pilot, ChooseScreen)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert "chosen: 1" in log_lines(app)

    run_app(app, scenario)


def test_skip_recorded_in_state(tmp_path: Path) -> None:
    """Skip in a real run is saved, so a resumed run shows the step skipped."""
    app = real_app(ScriptedStep(), tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await press(pilot, "s")
        await wait_for_screen(pilot, ConfirmScreen)
        await press(pilot, "y")

    run_app(app, scenario)
    resumed = StateStore(tmp_path / "state.json")
    assert resumed.status("scripted") is StepStatus.SKIPPED


def test_resume_prefills_from_state(tmp_path: Path) -> None:
    """A state file's answers pre-fill the forms and its statuses fill the sidebar."""
    state_path = tmp_path / "state.json"
    first = real_app(ScriptedStep(), tmp_path)

    async def finish_first(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await press(pilot, "r")

    run_app(first, finish_first)
    saved = json.loads(state_path.read_text())
    assert saved["answers"]["ca_name"] == "Test Lab CA"

    resumed = make_app(answers=None, dry_run=False, steps=[ScriptedStep(done=True)],
                       state=StateStore(state_path))
    assert resumed.draft["ca_name"] == "Test Lab CA"
    assert resumed.draft["dns_names"] == ["ca.test.example", "192.0.2.10"]
    assert resumed.step_states["scripted"] is StepState.DONE


def test_declined_skip_keeps_step(tmp_path: Path) -> None:
    """Answering no to the skip question leaves the step pending and unrecorded."""
    app = real_app(ScriptedStep(), tmp_path)

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await press(pilot, "s")
        await wait_for_screen(pilot, ConfirmScreen)
        await press(pilot, "n")
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.step_states["scripted"] is not StepState.SKIPPED

    run_app(app, scenario)
    assert StateStore(tmp_path / "state.json").status("scripted") is not StepStatus.SKIPPED
