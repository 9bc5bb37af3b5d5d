"""The base of the answer forms: labelled fields validated together through the Answers model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Static, Switch

from screens.base import WizardScreen
from screens.model import display_value
from screens.validation import check_form
from screens.widgets import TopBar, button_bar_buttons
from stepwizard.durations import DurationError, normalize_duration
from stepwizard.i18n import N_, _

FieldKind = Literal["text", "switch", "duration"]


@dataclass(frozen=True)
class FieldSpec:
    """One form field: the Answers field it sets, its label and hint (marked with N_)."""

    name: str
    label: str
    hint: str
    kind: FieldKind = "text"


def duration_note(text: str) -> tuple[str, bool]:
    """Return the Go value of a typed duration and True, or why it is invalid and False."""
    try:
        return _("Go value: {value}").format(value=normalize_duration(text)), True
    except DurationError as error:
        return str(error), False


def switch_word(value: bool) -> str:
    """Return the word that states a switch's position."""
    return _("on") if value else _("off")


class FieldRow(Vertical):
    """A label, an input (or switch) and a note line that shows the hint or the error."""

    def __init__(self, spec: FieldSpec, value: Any) -> None:
        super().__init__(classes="field", id=f"row-{spec.name}")
        self.spec = spec
        self._value = value

    def compose(self) -> ComposeResult:
        """Lay out the label and the control on one line, the note under the control."""
        with Horizontal(classes="field-line"):
            yield Label(_(self.spec.label), classes="field-label")
            yield self._control()
            if self.spec.kind == "switch":
                # The state in words, for 16-colour terminals and colour-blind operators.
                yield Label(switch_word(bool(self._value)), classes="switch-state")
        yield Static(Text(self._idle_note()), classes="note", id=f"note-{self.spec.name}")

    def _control(self) -> Widget:
        """Return the input or switch that edits the value."""
        if self.spec.kind == "switch":
            return Switch(bool(self._value), id=f"field-{self.spec.name}")
        return Input(display_value(self._value), id=f"field-{self.spec.name}",
                     select_on_focus=False)

    @property
    def value(self) -> Any:
        """The current value as the Answers model accepts it."""
        if self.spec.kind == "switch":
            return self.query_one(Switch).value
        return self.query_one(Input).value

    def _idle_note(self) -> str:
        """Return the note shown without an error: the hint, or a duration's Go value."""
        if self.spec.kind == "duration":
            return duration_note(display_value(self._value))[0]
        return _(self.spec.hint)

    def show_error(self, message: str | None) -> None:
        """Show ``message`` under the field, or the hint again when None."""
        note = self.query_one(".note", Static)
        note.set_class(message is not None, "-error")
        note.update(Text(message if message is not None else _(self.spec.hint)))

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        self.query_one(".switch-state", Label).update(switch_word(event.value))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.spec.kind != "duration":
            return
        note = self.query_one(".note", Static)
        message, valid = duration_note(event.value)
        note.set_class(not valid, "-error")
        note.update(Text(message))


class FormScreen(WizardScreen):
    """A group of answers that fits 80x24; Next validates and stores them in the draft."""

    HEADING: ClassVar[str] = ""
    INTRO: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", N_("Next"), id="form.next"),
        Binding("escape", "back", N_("Back"), id="form.back"),
    ]

    def compose(self) -> ComposeResult:
        """Lay out the heading, the fields in a scrollable area, and Back and Next."""
        yield TopBar(_(self.HEADING), dry_run=self.wizard.dry_run)
        with Vertical(classes="page"):
            yield Static(Text(_(self.INTRO)), classes="intro")
            with VerticalScroll(id="form-fields"):
                yield from self.compose_fields()
                yield Static("", id="form-error")
            with Horizontal(classes="buttons"):
                yield from button_bar_buttons(("back", _("Back"), "default"),
                                              ("next", _("Next"), "primary"))
        yield Footer()

    def compose_fields(self) -> ComposeResult:
        """Yield a row per field, pre-filled from the draft."""
        for spec in self.FIELDS:
            yield FieldRow(spec, self.wizard.draft.get(spec.name))

    def on_mount(self) -> None:
        """Apply the app's cursor setting to the inputs and focus the first field."""
        for field in self.query(Input):
            field.cursor_blink = self.wizard.cursor_blink
        focusable = self.query("#form-fields Input, #form-fields Switch")
        if focusable:
            focusable.first().focus()

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Move to the next field on Enter, or validate after the last one."""
        event.stop()
        inputs = list(self.query("#form-fields Input").results(Input))
        if event.input is inputs[-1]:
            self.action_next()
        else:
            self.focus_next()

    def action_next(self) -> None:
        """Validate the form; store it and go on when valid, else show each error."""
        if self.validate_form():
            self.wizard.go_next()

    def action_back(self) -> None:
        """Go back to the previous screen; the values typed here stay in this form."""
        self.wizard.go_back()

    def validate_form(self) -> bool:
        """Check the fields through the Answers model; return True and store them when valid."""
        rows = list(self.query(FieldRow).results(FieldRow))
        values = {row.spec.name: row.value for row in rows}
        hints = {row.spec.name: _(row.spec.hint) for row in rows}
        deferred = frozenset(spec.name for form in FormScreen.__subclasses__()
                             for spec in form.FIELDS) - set(values)
        check = check_form(self.wizard.draft, values, hints, deferred)
        for row in rows:
            row.show_error(check.field_errors.get(row.spec.name))
        self.show_form_error(check.form_errors)
        if check.answers is None:
            self._focus_first_error(rows, check.field_errors)
            return False
        stored = check.answers.model_dump(mode="json", include=set(values))
        self.wizard.draft.update(stored)
        return True

    def show_form_error(self, lines: list[str]) -> None:
        """Show errors that belong to no single field of this form, or clear them."""
        error = self.query_one("#form-error", Static)
        error.set_class(bool(lines), "-error")
        error.update(Text("\n".join(lines)))
        if lines:
            error.scroll_visible()

    def _focus_first_error(self, rows: list[FieldRow], errors: dict[str, str]) -> None:
        """Focus the first field with an error and scroll it into view."""
        for row in rows:
            if row.spec.name in errors:
                row.query_one(f"#field-{row.spec.name}").focus()
                row.scroll_visible()
                return
