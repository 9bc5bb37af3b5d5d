"""The base class of the wizard screens, with typed access to the app."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, cast

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.screen import Screen

from stepwizard.i18n import _

if TYPE_CHECKING:
    from screens.app import WizardApp


def translate_bindings(node: DOMNode) -> None:
    """Translate the descriptions of ``node``'s bindings, which its BINDINGS mark with N_.

    Textual merges BINDINGS when the class is created, before ``--lang`` picks the catalog,
    so each screen and the app translate their own copy when they are built.
    """
    translated: dict[str, list[Binding]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        # An empty description stays empty: _("") would return the catalog's header.
        translated[key] = [replace(binding, description=_(binding.description))
                           if binding.description else binding for binding in bindings]
    node._bindings = BindingsMap.from_keys(translated)


class WizardScreen(Screen[None]):
    """A full screen of the wizard; the app owns the state it shows."""

    def __init__(self, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        translate_bindings(self)

    @property
    def wizard(self) -> WizardApp:
        """The running wizard app."""
        return cast("WizardApp", self.app)
