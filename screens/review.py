"""The review: the whole plan, every command and file, before anything runs."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Static

from screens.base import WizardScreen
from screens.widgets import TopBar, button_bar_buttons, plan_renderable
from stepwizard.engine import render_plan
from stepwizard.i18n import N_, _


class ReviewScreen(WizardScreen):
    """Shows render_plan for the answers given; Start builds the run and opens the first step."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "start", N_("Start"), id="review.start"),
        Binding("escape,b", "back", N_("Back"), id="review.back"),
    ]

    def compose(self) -> ComposeResult:
        """Show the plan in a scrollable, focusable area."""
        context = self.wizard.build_context()
        yield TopBar(_("Review the plan"), dry_run=self.wizard.dry_run)
        with Vertical(classes="page"):
            yield Static(Text(_("Nothing has run yet. Scroll through every command and file, "
                                "then start. Secrets are shown as ********.")), classes="intro")
            with VerticalScroll(id="review-plan", classes="plan"):
                yield Static(plan_renderable(render_plan(self.wizard.steps, context)))
            with Horizontal(classes="buttons"):
                yield from button_bar_buttons(("back", _("Back"), "default"),
                                              ("start", _("Start"), "primary"))
        yield Footer()

    def on_mount(self) -> None:
        """Focus the plan so the arrow and page keys scroll it."""
        self.query_one("#review-plan").focus()

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        """Save the answers for a resume (real runs only) and open the first step."""
        self.wizard.save_answers()
        self.wizard.go_next()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        """Return to the last form."""
        self.wizard.go_back()
