"""The last screen: the root fingerprint to transcribe, the client command and where things are."""

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
from stepwizard.fingerprint import FingerprintError, group_fingerprint
from stepwizard.i18n import N_, _
from stepwizard.steps.summary import CaSummary

# Shown in the client command while the fingerprint is unknown (dry run, init not run).
FINGERPRINT_PLACEHOLDER = "<ROOT_FINGERPRINT>"


class FinishScreen(WizardScreen):
    """Shows a CaSummary; nothing on it is secret."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", N_("Copy fingerprint"), id="finish.copy"),
        Binding("escape,b", "back", N_("Back"), id="finish.back"),
        Binding("q", "finish", N_("Quit"), id="finish.quit"),
    ]

    def __init__(self, summary: CaSummary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        """Lay out the fingerprint panel, the client command and the facts to record."""
        yield TopBar(_("Summary"), dry_run=self.wizard.dry_run)
        with Vertical(classes="page"):
            yield Static(Text(self._heading()), classes="intro")
            fingerprint = Static(self._fingerprint_text(), id="fingerprint")
            fingerprint.border_title = _("Root fingerprint (SHA-256)")
            yield fingerprint
            with VerticalScroll(id="finish-facts"):
                yield Static(self._facts(), id="facts")
            with Horizontal(classes="buttons"):
                yield from button_bar_buttons(("back", _("Back"), "default"),
                                              ("copy", _("Copy fingerprint"), "primary"),
                                              ("quit", _("Quit"), "default"))
        yield Footer()

    def _heading(self) -> str:
        """Return the first line: the CA runs, or a dry run changed nothing."""
        if self.wizard.dry_run:
            return _("Dry run finished: nothing was run or written. A real run ends with this "
                     "screen filled in.")
        return _("The CA is running. Give clients the fingerprint over a channel you trust.")

    def _fingerprint_text(self) -> Text:
        """Return the fingerprint in groups of four digits, or why it is not known."""
        try:
            return Text(group_fingerprint(self.summary.root_fingerprint), style="bold")
        except FingerprintError:
            return Text(_("not known yet: the CA initialisation step computes it"))

    def _bootstrap_command(self) -> str:
        """Return the client command, with a placeholder while the fingerprint is unknown."""
        fingerprint = self.summary.root_fingerprint or FINGERPRINT_PLACEHOLDER
        return _("step ca bootstrap --ca-url {url} --fingerprint {fingerprint}").format(
            url=self.summary.ca_url, fingerprint=fingerprint)

    def _facts(self) -> Text:
        """Return the client command and the facts to record, one label per line."""
        summary = self.summary
        rows = [
            (_("Clients run"), self._bootstrap_command()),
            (_("CA URL"), summary.ca_url),
            (_("ACME directory"), summary.acme_directory_url),
            (_("Admin provisioner"), summary.admin_provisioner),
            (_("Admin subject"), summary.admin_subject or _("(no remote management)")),
            (_("CA password file"), summary.password_file),
            (_("Provisioner password file"), summary.provisioner_password_file),
            (_("Log file"), summary.log_file or _("(none)")),
        ]
        text = Text()
        for label, value in rows:
            # TRANSLATORS: a label and the colon before its value; French puts a space before ':'.
            text.append(_("{label}: ").format(label=label), style="bold")
            text.append(value + "\n")
        text.rstrip()
        return text

    def on_mount(self) -> None:
        """Focus the copy button."""
        self.query_one("#copy", Button).focus()

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        """Send the fingerprint to the terminal's clipboard with OSC 52."""
        if not self.summary.root_fingerprint:
            self.notify(_("There is no fingerprint to copy yet."), severity="warning")
            return
        self.app.copy_to_clipboard(self.summary.root_fingerprint)
        # NOTE: tmux and screen drop OSC 52 unless their clipboard pass-through is enabled.
        self.notify(_("Fingerprint sent to the terminal clipboard (OSC 52). Check it by "
                      "pasting before you rely on it."))

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        """Return to the last step screen."""
        self.wizard.go_back()

    @on(Button.Pressed, "#quit")
    def action_finish(self) -> None:
        """Close the wizard with exit status 0."""
        self.app.exit(0)
