"""The engine's Interaction answered by dialogs: a worker thread asks and waits for the operator."""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from textual.app import App
from textual.screen import ModalScreen

from screens.modals import ChooseScreen, ConfirmScreen
from stepwizard.interaction import Topic

ResultType = TypeVar("ResultType")

# How often a waiting worker checks that the app still runs, in seconds.
_POLL_SECONDS = 0.2


class TuiInteraction:
    """Shows the engine's questions as modal dialogs; call its methods from a worker thread only."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app

    def confirm(self, topic: Topic, title: str, message: str) -> bool:
        """Ask a yes/no question and block until answered; False when the app closes first."""
        return self._ask(ConfirmScreen(title, message)) is True

    def choose(self, title: str, options: list[str]) -> int | None:
        """Show a menu and block until a choice; None when cancelled or the app closes."""
        return self._ask(ChooseScreen(title, options))

    def _ask(self, dialog: ModalScreen[ResultType]) -> ResultType | None:
        """Push ``dialog`` on the app's thread and wait for its result on this thread."""
        answered = threading.Event()
        result: list[ResultType | None] = [None]

        def store(value: ResultType | None) -> None:
            result[0] = value
            answered.set()

        self._app.call_from_thread(self._app.push_screen, dialog, store)
        while not answered.wait(_POLL_SECONDS):
            if not self._app.is_running:
                return None
        return result[0]
