"""Runs steps in order, records their status, and turns failures into readable reports."""

from __future__ import annotations

import logging
import shlex
import time
from dataclasses import dataclass, field

from stepwizard.context import Context
from stepwizard.i18n import _
from stepwizard.interaction import NeedsOperator
from stepwizard.runner import CommandError
from stepwizard.state import StateFileError, StepStatus
from stepwizard.stepcli import PromptError
from stepwizard.steps.base import Step, StepError

log = logging.getLogger(__name__)

# Errors a step may raise that the operator can act on; anything else is a bug to report.
EXPECTED_ERRORS = (StepError, CommandError, PromptError, NeedsOperator, StateFileError, OSError,
                   ValueError)


@dataclass
class Failure:
    """Report of a failed step for the operator: the message, the command and its last lines."""

    message: str
    command: str = ""
    returncode: int | None = None
    tail: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """Result of running one step."""

    status: StepStatus
    failure: Failure | None = None
    seconds: float = 0.0


def describe_failure(error: BaseException) -> Failure:
    """Build the operator-facing report of ``error``."""
    if isinstance(error, CommandError):
        return Failure(str(error).splitlines()[0] + (("\n" + error.hint) if error.hint else ""),
                       shlex.join(error.argv), error.returncode, error.tail)
    if isinstance(error, PromptError):
        return Failure(str(error).split("\n", 1)[0], tail=error.screen.splitlines())
    return Failure(str(error) or error.__class__.__name__)


def run_step(step: Step, ctx: Context, *, force: bool = False) -> Outcome:
    """Run ``step`` unless it is already done (or ``force``); record and return the outcome."""
    started = time.monotonic()
    try:
        if not force and step.is_done(ctx):
            ctx.state.record(step.id, StepStatus.DONE, "already in place")
            log.info("step %s already done", step.id)
            return Outcome(StepStatus.DONE, seconds=time.monotonic() - started)
        ctx.state.record(step.id, StepStatus.RUNNING)
        log.info("step %s starts", step.id)
        step.apply(ctx)
    except EXPECTED_ERRORS as error:
        failure = describe_failure(error)
        log.error("step %s failed: %s", step.id, failure.message)
        _record_failure(ctx, step, failure)
        return Outcome(StepStatus.FAILED, failure, time.monotonic() - started)
    except Exception as error:
        log.exception("step %s failed unexpectedly", step.id)
        failure = Failure(_("unexpected error in step {step}: {error!r}; see the log file")
                          .format(step=step.id, error=error))
        _record_failure(ctx, step, failure)
        return Outcome(StepStatus.FAILED, failure, time.monotonic() - started)
    ctx.state.record(step.id, StepStatus.DONE)
    log.info("step %s done in %.1fs", step.id, time.monotonic() - started)
    return Outcome(StepStatus.DONE, seconds=time.monotonic() - started)


def _record_failure(ctx: Context, step: Step, failure: Failure) -> None:
    """Record a failed step; a state file that cannot be written only costs the resume."""
    try:
        ctx.state.record(step.id, StepStatus.FAILED, failure.message)
    except StateFileError as error:
        log.error("step %s: cannot record the failure: %s", step.id, error)


def plan_problems(steps: list[Step], ctx: Context) -> list[str]:
    """Return what would stop a real run, as found by the steps' plans."""
    problems: list[str] = []
    for step in steps:
        try:
            problems.extend(step.plan(ctx).problems)
        except EXPECTED_ERRORS as error:
            problems.append(f"{_(step.title)}: {error}")
    return problems


def render_plan(steps: list[Step], ctx: Context) -> list[str]:
    """Return every step's plan as text, headed by its number and title."""
    lines: list[str] = []
    for number, step in enumerate(steps, start=1):
        lines.append(f"[{number}/{len(steps)}] {_(step.title)}")
        lines.append("    " + _(step.summary))
        try:
            body = step.plan(ctx).render()
        except EXPECTED_ERRORS as error:
            body = [_("(plan not available: {error})").format(error=error)]
        lines.extend("    " + line for line in body)
        lines.append("")
    return lines
