"""The wizard app: the order of the screens and the state they share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from screens.base import translate_bindings
from screens.bridge import TuiInteraction
from screens.finish import FinishScreen
from screens.form_durations import DurationsForm
from screens.form_identity import IdentityForm
from screens.form_passwords import PasswordsForm
from screens.form_provisioners import ProvisionersForm
from screens.form_repository import RepositoryForm
from screens.form_system import SystemForm
from screens.model import drop_invalid_hidden, initial_draft, state_from_status
from screens.review import ReviewScreen
from screens.step_acme import AcmeScreen
from screens.step_ca_init import CaInitScreen
from screens.step_durations import DurationsScreen
from screens.step_hardening import HardeningScreen
from screens.step_prerequisites import PrerequisitesScreen
from screens.step_repository import RepositoryScreen
from screens.step_screen import StepScreen
from screens.step_service import ServiceScreen
from screens.step_service_user import ServiceUserScreen
from screens.step_summary import SummaryScreen
from screens.welcome import WelcomeScreen
from stepwizard.answers import Answers
from stepwizard.context import Context
from stepwizard.i18n import N_, _
from stepwizard.runner import Runner
from stepwizard.secrets import Secret
from stepwizard.state import StateStore
from stepwizard.steps import Step, all_steps
from stepwizard.steps.summary import build_summary

# Exit status when the operator closes the wizard before its last screen.
EXIT_CLOSED_EARLY = 1

STEP_SCREENS: dict[str, type[StepScreen]] = {
    "prerequisites": PrerequisitesScreen,
    "repository": RepositoryScreen,
    "service-user": ServiceUserScreen,
    "ca-init": CaInitScreen,
    "hardening": HardeningScreen,
    "service": ServiceScreen,
    "acme": AcmeScreen,
    "durations": DurationsScreen,
    "summary": SummaryScreen,
}

FORMS: tuple[type[Screen[None]], ...] = (IdentityForm, ProvisionersForm, DurationsForm,
                                         SystemForm, RepositoryForm, PasswordsForm)


class WizardApp(App[int]):
    """Walks the operator from the welcome screen through the forms and steps to the summary."""

    CSS_PATH = "stepwizard.tcss"
    TITLE = "stepwizard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", N_("Quit"), id="app.quit", priority=True),
    ]

    def __init__(self, *, dry_run: bool, answers: Answers | None = None,
                 state: StateStore | None = None, log_file: Path | None = None,
                 steps: Sequence[Step] | None = None, cursor_blink: bool = True,
                 prefill: dict[str, Any] | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.dry_run = dry_run
        self.state = state or StateStore(None)
        self.log_file = log_file
        self.steps: list[Step] = list(steps) if steps is not None else all_steps()
        # An answers file that does not validate yet still fills the forms it can.
        self.draft = initial_draft(answers, prefill or self.state.answers)
        shown = {spec.name for form in FORMS for spec in getattr(form, "FIELDS", ())}
        self.prefill_problems = drop_invalid_hidden(self.draft, shown)
        self.step_states = {step.id: state_from_status(self.state.status(step.id))
                            for step in self.steps}
        self.ca_password: Secret | None = None
        self.context: Context | None = None
        self.cursor_blink = cursor_blink
        self._route = self._build_route()
        self._position = 0

    def _build_route(self) -> list[Callable[[], Screen[Any]]]:
        """Return a factory per screen, in the order the operator sees them."""
        route: list[Callable[[], Screen[Any]]] = [WelcomeScreen, *FORMS, ReviewScreen]
        for step in self.steps:
            screen_class = STEP_SCREENS.get(step.id, StepScreen)
            route.append(partial(screen_class, step))
        route.append(lambda: FinishScreen(build_summary(self._require_context(),
                                                        read_host=not self.dry_run)))
        return route

    def on_mount(self) -> None:
        """Use the ANSI theme, readable in 16 colours, and show the welcome screen."""
        self.theme = "ansi-dark"
        self.push_screen(self._route[0]())
        if self.prefill_problems:
            self.notify("\n".join([_("These answers were invalid and are left at their "
                                      "defaults:"), *self.prefill_problems]),
                        severity="warning", timeout=30)

    def go_next(self) -> None:
        """Open the next screen on top of the current one."""
        if self._position + 1 < len(self._route):
            self._position += 1
            self.push_screen(self._route[self._position]())

    def go_back(self) -> None:
        """Close the current screen and return to the previous one, as the operator left it."""
        if self._position > 0:
            self._position -= 1
            self.pop_screen()

    def build_context(self) -> Context:
        """Build the run's context from the draft, which the forms have validated."""
        self.context = Context(
            answers=Answers.model_validate(self.draft), runner=Runner(),
            interaction=TuiInteraction(self), state=self.state, log_file=self.log_file,
            ca_password=self.ca_password)
        return self.context

    def save_answers(self) -> None:
        """Store the answers in the state file for a resume; a dry run stores nothing."""
        if not self.dry_run:
            self.state.set_answers(self._require_context().answers.model_dump(mode="json"))

    def _require_context(self) -> Context:
        """Return the context, which exists once the review screen was shown."""
        assert self.context is not None, "the review screen builds the context first"
        return self.context


def run_wizard(*, dry_run: bool, answers: Answers | None, state_file: Path | None,
               log_file: Path | None, prefill: dict[str, Any] | None = None) -> int:
    """Run the wizard in this terminal; return 0 when it reached its end, else 1."""
    app = WizardApp(dry_run=dry_run, answers=answers, state=StateStore(state_file),
                    log_file=log_file, prefill=prefill)
    result = app.run()
    return result if result is not None else EXIT_CLOSED_EARLY
