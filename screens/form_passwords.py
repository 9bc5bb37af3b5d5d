"""Form: generate the CA key password, or type it twice with an explicit reveal switch."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static, Switch

from screens.form_screen import FormScreen, switch_word
from stepwizard.answers import Answers
from stepwizard.i18n import N_, _
from stepwizard.secrets import REDACTOR, Secret

# The CA keys' password guards the whole PKI; shorter ones are easy to guess offline.
MIN_TYPED_PASSWORD = 12


class PasswordsForm(FormScreen):
    """The CA password choice; a typed password goes to the app in memory only, as a Secret."""

    HEADING = N_("Passwords")
    INTRO = N_("The CA keys and the admin provisioner are protected by passwords kept in 0600 "
               "files readable only by the service user. Generated passwords are 32 random "
               "letters and digits.")

    def compose_fields(self) -> ComposeResult:
        """Lay out the typed/generated switch, the two masked inputs and the reveal switch."""
        typed = self.wizard.ca_password is not None
        source = self.wizard.draft.get("password_file")
        off_hint = (_("Off: the CA password is read from {path}, named in the answers file. "
                      "On: type it below.").format(path=source) if source else
                    _("Off: the CA password is generated. On: type it below."))
        yield self._row(_("Type it myself"), Switch(typed, id="type-password"), off_hint, "type")
        yield self._row(_("CA password"), self._password_input("password", typed),
                        _("Masked; stored in {path}.").format(path=self._password_path()),
                        "password")
        yield self._row(_("Again"), self._password_input("password-again", typed),
                        _("Type the same password again."), "password-again")
        yield self._row(_("Show password"), Switch(False, id="reveal-password", disabled=not typed),
                        _("Shows the typed password on screen."),
                        "reveal")
        provisioner_source = self.wizard.draft.get("provisioner_password_file")
        yield Static(Text(
            _("The admin provisioner's password is read from {path}, named in the answers "
              "file.").format(path=provisioner_source) if provisioner_source else
            _("The admin provisioner's password is generated; to choose it, name a file with "
              "provisioner_password_file in an answers file.")), classes="intro")

    def _row(self, label: str, control: Switch | Input, hint: str, name: str) -> Vertical:
        """Return a field row: label and control on one line, the hint below."""
        line = [Label(label, classes="field-label"), control]
        if isinstance(control, Switch):
            line.append(Label(switch_word(control.value), classes="switch-state"))
        return Vertical(
            Horizontal(*line, classes="field-line"),
            Static(Text(hint), classes="note", id=f"note-{name}"),
            classes="field", id=f"row-{name}")

    def _password_input(self, widget_id: str, enabled: bool) -> Input:
        """Return a masked input, disabled while the password is generated."""
        return Input(password=True, id=widget_id, disabled=not enabled, select_on_focus=False)

    def _password_path(self) -> str:
        """Return where the CA password will be stored; the earlier forms made the draft valid."""
        return str(Answers.model_validate(self.wizard.draft).ca_password_path)

    @on(Switch.Changed)
    def _show_switch_word(self, event: Switch.Changed) -> None:
        line = event.switch.parent
        if line is not None:
            line.query_one(".switch-state", Label).update(switch_word(event.value))

    @on(Switch.Changed, "#type-password")
    def _type_switched(self, event: Switch.Changed) -> None:
        for widget_id in ("#password", "#password-again", "#reveal-password"):
            self.query_one(widget_id).disabled = not event.value

    @on(Switch.Changed, "#reveal-password")
    def _reveal_switched(self, event: Switch.Changed) -> None:
        for widget_id in ("#password", "#password-again"):
            self.query_one(widget_id, Input).password = not event.value

    def validate_form(self) -> bool:
        """Accept a generated password, or two equal non-empty typed ones kept as a Secret."""
        if not self.query_one("#type-password", Switch).value:
            self.wizard.ca_password = None
            return True
        first = self.query_one("#password", Input).value
        second = self.query_one("#password-again", Input).value
        problem = self._password_problem(first, second)
        self._show_note("password", problem, _("Masked; stored in {path}.").format(
            path=self._password_path()))
        if problem is not None:
            self.query_one("#password", Input).focus()
            return False
        secret = Secret(first)
        # Registered now so that no log line or output pane can show it from here on.
        REDACTOR.register(secret)
        self.wizard.ca_password = secret
        return True

    def _password_problem(self, first: str, second: str) -> str | None:
        """Return why the typed passwords cannot be used, or None."""
        if not first:
            return _("The CA password is empty: type one, or switch off 'Type it myself' to "
                     "generate it.")
        if len(first) < MIN_TYPED_PASSWORD:
            return _("The CA password has {count} characters; use at least {minimum}, or switch "
                     "off 'Type it myself' to generate a 32-character one.").format(
                         count=len(first), minimum=MIN_TYPED_PASSWORD)
        if first != second:
            return _("The two passwords differ: type the same password in both fields.")
        return None

    def _show_note(self, name: str, error: str | None, hint: str) -> None:
        """Show ``error`` under a field, or its hint when None."""
        note = self.query_one(f"#note-{name}", Static)
        note.set_class(error is not None, "-error")
        note.update(Text(error if error is not None else hint))
