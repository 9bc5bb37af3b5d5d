"""The first screen: what the wizard will do, and the dry-run banner."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Static

from screens.base import WizardScreen
from screens.widgets import TopBar, button_bar_buttons
from stepwizard.i18n import N_, _


class WelcomeScreen(WizardScreen):
    """Explains the steps ahead; Start opens the first form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,n", "start", N_("Start"), id="welcome.start"),
    ]

    def compose(self) -> ComposeResult:
        """Show the banner, the introduction and the numbered steps."""
        yield TopBar(_("Welcome"), dry_run=self.wizard.dry_run)
        with Vertical(classes="page"):
            if self.wizard.dry_run:
                yield Static(Text(_("Dry run: every screen and check works, but no command "
                                    "runs and no file is written. Each step shows what a real "
                                    "run would do.")), id="dry-run-banner")
            with VerticalScroll(id="welcome-text"):
                yield Static(self._introduction(), id="welcome-intro")
            with Horizontal(classes="buttons"):
                yield from button_bar_buttons(("quit", _("Quit"), "default"),
                                              ("start", _("Start"), "primary"))
        yield Footer()

    def _introduction(self) -> Text:
        """Return the text that explains the wizard and lists its steps."""
        text = Text(_("This wizard sets up a smallstep step-ca certificate authority on this "
                      "Debian host. You answer a few forms, review the full plan, then run each "
                      "step while watching its output:") + "\n\n")
        # Two columns keep the whole list on an 80x24 screen.
        steps = self.wizard.steps
        half = (len(steps) + 1) // 2
        for row in range(half):
            left = f"{row + 1:>2}. {_(steps[row].title)}"
            right_index = row + half
            right = (f"{right_index + 1:>2}. {_(steps[right_index].title)}"
                     if right_index < len(steps) else "")
            text.append(f"{left:<36}{right}".rstrip() + "\n")
        text.append("\n" + _("If the connection drops, run stepwizard again: steps already "
                             "done are detected and skipped."))
        return text

    def on_mount(self) -> None:
        """Focus Start."""
        self.query_one("#start", Button).focus()

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        """Open the first form."""
        self.wizard.go_next()

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()
