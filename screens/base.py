"""The base class of the wizard screens, with typed access to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from screens.app import WizardApp


class WizardScreen(Screen[None]):
    """A full screen of the wizard; the app owns the state it shows."""

    @property
    def wizard(self) -> WizardApp:
        """The running wizard app."""
        return cast("WizardApp", self.app)
