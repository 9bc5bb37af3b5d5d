"""Pictures of every screen at 80x24 in the ANSI theme, stored in snapshots/.

Regenerate with ``pytest tests/ui --snapshot-update`` after a deliberate change, and look at
each changed SVG before committing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import ScreenSnapshot
from textual.pilot import Pilot
from ui_walk import (
    CANARY,
    ScriptedStep,
    make_app,
    open_step,
    press,
    settle,
    to_forms,
    to_review,
    to_step,
    type_into,
    type_password,
    wait_for_screen,
)

from screens.modals import ConfirmScreen
from stepwizard.state import StateStore

FINGERPRINT = "3f2a9c0d5e7b41a6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4"


async def nothing(pilot: Pilot[Any]) -> None:
    """Leave the app on its first screen."""


def test_welcome_dry_run(screen_snapshot: ScreenSnapshot) -> None:
    """The welcome screen: dry-run badge and banner, both step columns, Quit and Start."""
    assert screen_snapshot(make_app(), nothing)


def test_welcome_real_run(screen_snapshot: ScreenSnapshot) -> None:
    """The welcome screen of a real run: no badge, no banner."""
    assert screen_snapshot(make_app(dry_run=False), nothing)


@pytest.mark.parametrize("form", [1, 2, 3, 4, 5, 6])
def test_form_prefilled(screen_snapshot: ScreenSnapshot, form: int) -> None:
    """Each form pre-filled from the answers: labels, inputs and one-line hints all visible."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, form)

    assert screen_snapshot(make_app(), scenario)


def test_identity_form_errors(screen_snapshot: ScreenSnapshot) -> None:
    """Identity form after Next: the DNS and address errors in bold under their fields."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 1)
        await type_into(pilot, "#field-dns_names", "bad_name.example")
        await type_into(pilot, "#field-address", "localhost")
        await press(pilot, "ctrl+n")

    assert screen_snapshot(make_app(), scenario)


def test_durations_form_converted(screen_snapshot: ScreenSnapshot) -> None:
    """Durations form with 28d typed as default, showing 'Go value: 672h', and 28x flagged."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 3)
        await type_into(pilot, "#field-acme_default_duration", "28d")
        await type_into(pilot, "#field-acme_max_duration", "28x")

    assert screen_snapshot(make_app(), scenario)


def test_durations_form_order_error(screen_snapshot: ScreenSnapshot) -> None:
    """Durations form after Next with minimum above default: the order error below the fields."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 3)
        await type_into(pilot, "#field-acme_min_duration", "30d")
        await type_into(pilot, "#field-acme_default_duration", "28d")
        await press(pilot, "ctrl+n")

    assert screen_snapshot(make_app(), scenario)


def test_passwords_form_masked(screen_snapshot: ScreenSnapshot) -> None:
    """Password form with a typed password: both inputs show only mask characters."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)
        await type_password(pilot, CANARY)

    assert screen_snapshot(make_app(), scenario)


def test_passwords_form_revealed(screen_snapshot: ScreenSnapshot) -> None:
    """Password form with the reveal switch on: the typed (non-canary) password is readable."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)
        await type_password(pilot, "shown-on-purpose", reveal=True)

    assert screen_snapshot(make_app(), scenario)


def test_review_plan(screen_snapshot: ScreenSnapshot) -> None:
    """Review screen: the first steps of the plan in a focused, scrollable frame."""
    assert screen_snapshot(make_app(), to_review)


@pytest.mark.parametrize("number", range(1, 10))
def test_step_screen(screen_snapshot: ScreenSnapshot, number: int) -> None:
    """Each step before it runs: sidebar with earlier steps '~', summary, plan, empty output."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_step(pilot, number)

    assert screen_snapshot(make_app(), scenario)


def test_step_after_dry_run(screen_snapshot: ScreenSnapshot) -> None:
    """The CA initialisation step after Run in a dry run: 'would run' output, Next focused."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_step(pilot, 4)
        await press(pilot, "r")

    assert screen_snapshot(make_app(), scenario)


def test_finish_dry_run(screen_snapshot: ScreenSnapshot) -> None:
    """Final summary of a dry run: fingerprint not known yet, placeholder in the command."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_step(pilot, 9)
        await press(pilot, "r", "n")

    assert screen_snapshot(make_app(), scenario)


def test_finish_with_fingerprint(screen_snapshot: ScreenSnapshot) -> None:
    """Final summary with a root fingerprint in two lines of eight groups of four digits."""
    state = StateStore(None)
    state.set_fact("root_fingerprint", FINGERPRINT)

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_step(pilot, 9)
        await press(pilot, "r", "n")

    assert screen_snapshot(make_app(state=state), scenario)


def test_error_dialog(screen_snapshot: ScreenSnapshot, tmp_path: Path) -> None:
    """Error dialog of a failed command: message, command, exit status, last lines, Retry."""
    step = ScriptedStep(command=["sh", "-c", "echo preparing; echo no space left; exit 28"])
    app = make_app(dry_run=False, steps=[step], state=StateStore(tmp_path / "state.json"))

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await press(pilot, "r")

    assert screen_snapshot(app, scenario)


def test_confirm_dialog(screen_snapshot: ScreenSnapshot, tmp_path: Path) -> None:
    """Question from a running step: title, message, No focused and Yes beside it."""
    app = make_app(dry_run=False, steps=[ScriptedStep(ask=True)],
                   state=StateStore(tmp_path / "state.json"))

    async def scenario(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await pilot.press("r")
        await wait_for_screen(pilot, ConfirmScreen)

    async def answer(pilot: Pilot[Any]) -> None:
        await pilot.press("n")
        await settle(pilot)

    assert screen_snapshot(app, scenario, answer)
