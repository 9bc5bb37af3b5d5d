"""The base of the step screens: the plan, Run / Skip / Back / Next, live output and states."""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Button, Footer, Log, Static
from textual.worker import Worker, WorkerState

from screens.base import WizardScreen
from screens.messages import StepChecked, StepFinished, StepOutput
from screens.modals import ConfirmScreen, ErrorScreen
from screens.model import STATE_LABELS, STATE_SYMBOLS, StepState
from screens.widgets import StepSidebar, TopBar, button_bar_buttons, plan_renderable
from stepwizard.context import Context
from stepwizard.engine import EXPECTED_ERRORS, Failure, describe_failure, run_step
from stepwizard.i18n import N_, _
from stepwizard.state import StepStatus
from stepwizard.steps import Step

# checking: is_done runs; ready: waiting for Run or Skip; running: apply runs;
# finished: done, skipped or shown as a dry run; failed: the last run failed.
Phase = Literal["checking", "ready", "running", "finished", "failed"]

_ACTIONS_BY_PHASE: dict[str, frozenset[Phase]] = {
    "run": frozenset({"ready", "failed"}),
    "skip": frozenset({"ready", "failed"}),
    "next": frozenset({"finished"}),
    "back": frozenset({"checking", "ready", "finished", "failed"}),
}


class StepScreen(WizardScreen):
    """One engine step: its plan before it runs, its output while it runs, and its state."""

    # A sentence specific to the step, marked with N_; empty when the summary is enough.
    ADVICE: ClassVar[str] = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run", N_("Run"), id="step.run"),
        Binding("s", "skip", N_("Skip"), id="step.skip"),
        Binding("n", "next", N_("Next"), id="step.next"),
        Binding("escape,b", "back", N_("Back"), id="step.back"),
    ]

    phase: reactive[Phase] = reactive("checking", init=False, always_update=True)

    def __init__(self, step: Step) -> None:
        super().__init__(id=f"step-{step.id}")
        self.step = step
        self._already_done = False

    @property
    def context(self) -> Context:
        """The run's context, built when the review screen was shown."""
        context = self.wizard.context
        assert context is not None, "the review screen builds the context first"
        return context

    def compose(self) -> ComposeResult:
        """Lay out the sidebar, the step's text, plan, output pane and buttons."""
        yield TopBar(self._heading(), dry_run=self.wizard.dry_run)
        with Horizontal(id="step-body"):
            yield StepSidebar(self.wizard.steps, self.wizard.step_states, self.step.id)
            with Vertical(id="step-main"):
                yield Static(Text(self._description()), id="step-summary")
                yield Static("", id="step-status")
                with VerticalScroll(id="step-plan", classes="plan") as plan:
                    plan.border_title = _("Plan")
                    yield Static(plan_renderable(self._plan_lines()))
                output = Log(id="step-output", max_lines=None)
                output.border_title = _("Output")
                yield output
                with Horizontal(classes="buttons"):
                    yield from button_bar_buttons(("back", _("Back"), "default"),
                                                  ("skip", _("Skip"), "default"),
                                                  ("run", _("Run"), "primary"),
                                                  ("next", _("Next"), "success"))
        yield Footer()

    def _heading(self) -> str:
        """Return the step's number and title for the top bar."""
        number = self.wizard.steps.index(self.step) + 1
        return _("Step {number} of {count}: {title}").format(
            number=number, count=len(self.wizard.steps), title=_(self.step.title))

    def _description(self) -> str:
        """Return the step's summary, followed by the screen's advice when it has some."""
        text = _(self.step.summary)
        return f"{text} {_(self.ADVICE)}" if self.ADVICE else text

    def _plan_lines(self) -> list[str]:
        """Return the step's plan as text; a plan that cannot be built is replaced by the reason."""
        try:
            return self.step.plan(self.context).render() or [_("(nothing to do)")]
        except EXPECTED_ERRORS as error:
            return [_("(plan not available: {error})").format(error=error)]

    def on_mount(self) -> None:
        """Start the is_done check, except in a dry run, which inspects nothing."""
        if self.wizard.dry_run:
            self.phase = "ready"
            return
        self.phase = "checking"
        self._check_done(self.step, self.context)

    def on_screen_resume(self) -> None:
        """Redraw the sidebar, whose states may have changed on other screens."""
        self.query_one(StepSidebar).refresh()

    # Workers: they never touch widgets and report only through messages.

    @work(thread=True, exclusive=True, exit_on_error=False, group="step", name="check")
    def _check_done(self, step: Step, context: Context) -> None:
        """Ask the step whether its result is already in place."""
        self.post_message(StepChecked(step.is_done(context)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="step", name="run")
    def _run(self, step: Step, context: Context) -> None:
        """Run the step through the engine, which records its status."""
        self.post_message(StepFinished(run_step(step, context)))

    def _post_output(self, line: str) -> None:
        """Forward a runner line to this screen; called on the worker thread."""
        self.post_message(StepOutput(line))

    # Handlers: they own the screen's state.

    @on(StepOutput)
    def _output(self, message: StepOutput) -> None:
        self.query_one("#step-output", Log).write_line(message.line)

    @on(StepChecked)
    def _checked(self, message: StepChecked) -> None:
        self._already_done = message.done
        if message.done:
            self._set_state(StepState.DONE)
            self.phase = "finished"
        else:
            self.phase = "ready"

    @on(StepFinished)
    def _finished(self, message: StepFinished) -> None:
        outcome = message.outcome
        if outcome.status is StepStatus.DONE:
            self._set_state(StepState.DONE)
            self.phase = "finished"
        else:
            self._show_failure(outcome.failure or Failure(_("the step failed")))

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """Turn an exception that escaped a worker into the error dialog."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self._show_failure(describe_failure(event.worker.error))

    def _show_failure(self, failure: Failure) -> None:
        """Mark the step failed and show the report; Retry runs it again."""
        self._set_state(StepState.FAILED)
        self.phase = "failed"
        title = _("Step failed: {title}").format(title=_(self.step.title))

        def retry(again: bool | None) -> None:
            if again:
                self.action_run()

        self.app.push_screen(ErrorScreen(title, failure), retry)

    # Actions.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show an action disabled in the footer when the current phase does not allow it."""
        phases = _ACTIONS_BY_PHASE.get(action)
        if phases is None:
            return True
        return True if self.phase in phases else None

    def action_run(self) -> None:
        """Run the step, or in a dry run show what it would run and mark it so."""
        if self.phase not in _ACTIONS_BY_PHASE["run"]:
            return
        output = self.query_one("#step-output", Log)
        if self.wizard.dry_run:
            output.write_line(_("dry run: would run the plan above:"))
            output.write_lines(["  " + line for line in self._plan_lines()])
            output.write_line(_("dry run: nothing was run or written."))
            self._set_state(StepState.DRY_RUN)
            self.phase = "finished"
            return
        self.context.runner.sink = self._post_output
        self._set_state(StepState.RUNNING)
        self.phase = "running"
        self._run(self.step, self.context)

    def action_skip(self) -> None:
        """Mark the step skipped (saved for a resume in a real run) and go on."""
        if self.phase not in _ACTIONS_BY_PHASE["skip"]:
            return
        if self.wizard.dry_run:
            self._skip(True)
            return
        question = _("Later steps may fail without what '{title}' sets up. Skip it anyway?")
        self.app.push_screen(ConfirmScreen(_("Skip this step?"), question.format(
            title=_(self.step.title))), self._skip)

    def _skip(self, confirmed: bool | None) -> None:
        """Record the skip once the operator confirmed it, and go on."""
        if not confirmed:
            return
        if not self.wizard.dry_run:
            self.context.state.record(self.step.id, StepStatus.SKIPPED, "skipped by the operator")
        self._set_state(StepState.SKIPPED)
        self.phase = "finished"
        self.wizard.go_next()

    def action_next(self) -> None:
        """Go to the next step once this one is finished."""
        if self.phase in _ACTIONS_BY_PHASE["next"]:
            self.wizard.go_next()

    def action_back(self) -> None:
        """Go to the previous screen unless the step is running."""
        if self.phase in _ACTIONS_BY_PHASE["back"]:
            self.wizard.go_back()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        actions = {"run": self.action_run, "skip": self.action_skip, "next": self.action_next,
                   "back": self.action_back}
        if event.button.id in actions:
            actions[event.button.id]()

    # Display of the phase.

    def _set_state(self, state: StepState) -> None:
        """Store the step's state in the app and redraw the sidebar."""
        self.wizard.step_states[self.step.id] = state
        self.query_one(StepSidebar).refresh()

    def watch_phase(self, phase: Phase) -> None:
        """Update the status line, the buttons and the footer for ``phase``."""
        self.query_one("#step-status", Static).update(Text(self._status_text(phase)))
        for name, phases in _ACTIONS_BY_PHASE.items():
            self.query_one(f"#{name}", Button).disabled = phase not in phases
        focus = {"ready": "#run", "finished": "#next", "failed": "#run"}.get(phase)
        if focus is not None:
            self.query_one(focus, Button).focus()
        self.refresh_bindings()

    def _status_text(self, phase: Phase) -> str:
        """Return the status line: the state's symbol and name, then what to do next."""
        state = self.wizard.step_states.get(self.step.id, StepState.PENDING)
        # TRANSLATORS: a label and the colon before its value; French puts a space before ':'.
        prefix = f"{STATE_SYMBOLS[state]} " + _("{label}: ").format(label=_(STATE_LABELS[state]))
        if phase == "checking":
            return prefix + _("checking whether this step is already done...")
        if phase == "running":
            return prefix + _("the output appears below as it comes.")
        if phase == "failed":
            return prefix + _("press r to retry, s to skip or b to go back.")
        if phase == "ready":
            if self.wizard.dry_run:
                return prefix + _("press r to see what would run, or s to skip.")
            return prefix + _("read the plan, then press r to run it or s to skip it.")
        if state is StepState.DRY_RUN:
            return prefix + _("nothing was run. Press n for the next step.")
        if self._already_done:
            return prefix + _("already in place, nothing to change. Press n for the next step.")
        return prefix + _("press n for the next step.")
