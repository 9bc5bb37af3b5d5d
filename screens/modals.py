"""Dialogs over the current screen: a yes/no question, a menu, and a step's failure report."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static

from screens.base import translate_bindings
from stepwizard.engine import Failure
from stepwizard.i18n import N_, _


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question from a running step; dismisses with True only on an explicit yes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm.yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm.no"),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        translate_bindings(self)
        self._title = title
        self._message = message

    def compose(self) -> ComposeResult:
        """Show the question with No focused, so a stray Enter never agrees."""
        with Vertical(classes="dialog"):
            yield Static(Text(self._title), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(Text(self._message))
            with Horizontal(classes="buttons"):
                yield Button(_("No"), id="no", compact=True)
                yield Button(_("Yes"), id="yes", variant="warning", compact=True)

    def on_mount(self) -> None:
        """Focus the safe answer."""
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        """Close the dialog with ``value``."""
        self.dismiss(value)


class ChooseScreen(ModalScreen[int | None]):
    """A menu from a running step; dismisses with the chosen index, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="choose.cancel"),
    ]

    def __init__(self, title: str, options: list[str]) -> None:
        super().__init__()
        translate_bindings(self)
        self._title = title
        self._options = options

    def compose(self) -> ComposeResult:
        """Show the title and the options."""
        with Vertical(classes="dialog"):
            yield Static(Text(self._title), classes="dialog-title")
            yield OptionList(*[Text(option) for option in self._options], id="choices")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        """Close the menu without a choice."""
        self.dismiss(None)


class ErrorScreen(ModalScreen[bool]):
    """A step's failure: message, command, exit status and last output lines; True means retry."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "close(True)", N_("Retry"), id="error.retry"),
        Binding("escape,c", "close(False)", N_("Close"), id="error.close"),
    ]

    def __init__(self, title: str, failure: Failure) -> None:
        super().__init__()
        translate_bindings(self)
        self._title = title
        self._failure = failure

    def compose(self) -> ComposeResult:
        """Show the report in a scrollable body with Retry and Close."""
        with Vertical(classes="dialog error-dialog"):
            yield Static(Text(self._title), classes="dialog-title")
            with VerticalScroll(classes="dialog-body", id="error-body"):
                yield Static(self._report(), id="error-report")
            with Horizontal(classes="buttons"):
                yield Button(_("Close"), id="close", compact=True)
                yield Button(_("Retry"), id="retry", variant="primary", compact=True)

    def _report(self) -> Text:
        """Return the failure as plain text, with no markup taken from command output."""
        failure = self._failure
        text = Text(failure.message + "\n")
        if failure.command:
            text.append("\n" + _("Command: {command}").format(command=failure.command) + "\n")
        if failure.returncode is not None:
            text.append(_("Exit status: {code}").format(code=failure.returncode) + "\n")
        if failure.tail:
            text.append("\n" + _("Last output lines:") + "\n", style="bold")
            text.append("\n".join("| " + line for line in failure.tail))
        return text

    def on_mount(self) -> None:
        """Focus Retry, the usual next move once the cause is fixed."""
        self.query_one("#retry", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "retry")

    def action_close(self, retry: bool) -> None:
        """Close the report; ``retry`` True makes the step screen run the step again."""
        self.dismiss(retry)
