"""Helpers shared by the UI tests: fixed answers, the app under test and keyboard walks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Log

from screens.app import FORMS, WizardApp
from screens.step_screen import StepScreen
from stepwizard.answers import Answers
from stepwizard.context import Context
from stepwizard.interaction import Topic
from stepwizard.plan import Plan
from stepwizard.state import StateStore
from stepwizard.steps import Step, StepError

SIZE = (80, 24)

# Answers without host names or user names of the machine that runs the tests.
FIXED_ANSWERS = Answers(ca_name="Test Lab CA", dns_names=["ca.test.example", "192.0.2.10"])

# A password that must never show up masked-off: on screen, in a picture, a log or a file.
CANARY = "Canary-7f3b-PASSWORD"

# Number of form screens between the welcome screen and the review.
FORM_COUNT = len(FORMS)


def make_app(*, answers: Answers | None = FIXED_ANSWERS, **kwargs: Any) -> WizardApp:
    """Return a dry-run app with deterministic rendering: no blinking cursor, no animation."""
    kwargs.setdefault("dry_run", True)
    app = WizardApp(answers=answers, cursor_blink=False, **kwargs)
    app.animation_level = "none"
    return app


Scenario = Callable[[Pilot[Any]], Awaitable[None]]


def run_app(app: WizardApp, scenario: Scenario) -> None:
    """Run ``scenario`` against ``app`` at 80x24 and wait for every worker at the end."""

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await scenario(pilot)
            await settle(pilot)

    asyncio.run(main())


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until workers finished and their messages were handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys one by one, letting workers and messages settle after each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Replace the value of the input at ``selector`` by typing ``text`` into it."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    await pilot.press(*list(text))
    await settle(pilot)


async def to_forms(pilot: Pilot[Any], count: int) -> None:
    """From the welcome screen, open the first form and accept ``count - 1`` forms."""
    await press(pilot, "enter")
    for _ in range(count - 1):
        await press(pilot, "ctrl+n")


async def to_review(pilot: Pilot[Any]) -> None:
    """From the welcome screen, accept every form with its pre-filled values."""
    await to_forms(pilot, FORM_COUNT + 1)


async def type_password(pilot: Pilot[Any], password: str, *, reveal: bool = False) -> None:
    """On the password form, switch to a typed password and type it twice."""
    await press(pilot, "space")
    await type_into(pilot, "#password", password)
    await type_into(pilot, "#password-again", password)
    if reveal:
        pilot.app.screen.query_one("#reveal-password").focus()
        await press(pilot, "space")


async def to_step(pilot: Pilot[Any], number: int) -> None:
    """From the welcome screen, reach step ``number`` (1-based), dry-running the ones before."""
    await to_review(pilot)
    await press(pilot, "n")
    for _ in range(number - 1):
        await press(pilot, "r", "n")


def screen_text(app: WizardApp) -> str:
    """Return the characters on the terminal, one line per row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def log_lines(app: WizardApp) -> list[str]:
    """Return every line written to the output panes of all open screens."""
    return [str(line) for screen in app.screen_stack for log in screen.query(Log)
            for line in log.lines]


class ScriptedStep(Step):
    """A step whose check and run follow the test's script instead of the host."""

    id = "scripted"
    title = "Scripted step"
    summary = "Does what the test tells it."

    def __init__(self, *, done: bool = False, failures: int = 0, lines: int = 0,
                 command: list[str] | None = None, ask: bool = False, menu: bool = False,
                 check_error: Exception | None = None) -> None:
        self.done = done
        self.failures = failures
        self.lines = lines
        self.command = command
        self.ask = ask
        self.menu = menu
        self.check_error = check_error
        self.applied = 0

    def plan(self, ctx: Context) -> Plan:
        """Plan one harmless command."""
        plan = Plan()
        plan.command("true", purpose="nothing")
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Return the scripted answer, or raise the scripted error."""
        if self.check_error is not None:
            raise self.check_error
        return self.done

    def apply(self, ctx: Context) -> None:
        """Emit lines, ask the operator, run a command or fail, as scripted."""
        self.applied += 1
        for number in range(self.lines):
            ctx.say(f"output line {number}")
        if self.ask:
            answer = ctx.interaction.confirm(Topic.REINITIALIZE, "Replace the CA?",
                                             "A PKI exists in STEPPATH.")
            ctx.say(f"confirmed: {answer}")
        if self.menu:
            ctx.say(f"chosen: {ctx.interaction.choose('Pick a key', ['RSA', 'ECDSA'])}")
        if self.command is not None:
            ctx.runner.run(self.command)
        if self.failures:
            self.failures -= 1
            raise StepError("disk full on /var: free 200 MiB and press Retry")


def real_app(step: Step, tmp_path: Path) -> Any:
    """Return an app for a real run of ``step`` with its state in ``tmp_path``."""
    return make_app(dry_run=False, steps=[step], state=StateStore(tmp_path / "state.json"))


async def open_step(pilot: Pilot[Any]) -> None:
    """Walk the forms and the review to the only step, and let its check finish."""
    await to_review(pilot)
    await press(pilot, "n")
    assert isinstance(pilot.app.screen, StepScreen)


async def wait_for_screen(pilot: Pilot[Any], kind: type[Screen[Any]]) -> None:
    """Let the app process messages until a screen of ``kind`` is on top."""
    for _ in range(200):
        if isinstance(pilot.app.screen, kind):
            return
        await pilot.pause(0.01)
    raise AssertionError(f"{kind.__name__} never appeared; top is {pilot.app.screen!r}")
