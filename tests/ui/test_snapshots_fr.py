"""Pictures of French screens at 80x24, to check that the longer French text still fits.

Regenerate with ``pytest tests/ui/test_snapshots_fr.py --snapshot-update`` after a deliberate
change to po/fr.po, and look at each changed SVG before committing it.
"""

from __future__ import annotations

from typing import Any

from conftest import ScreenSnapshot
from textual.pilot import Pilot
from ui_walk import make_app, to_forms


async def nothing(pilot: Pilot[Any]) -> None:
    """Leave the app on its first screen."""


def test_welcome_dry_run_french(screen_snapshot: ScreenSnapshot, french_messages: None) -> None:
    """French welcome screen: badge, banner, both step columns, buttons and footer keys."""
    assert screen_snapshot(make_app(), nothing)


def test_passwords_form_french(screen_snapshot: ScreenSnapshot, french_messages: None) -> None:
    """French password form, the densest one: 20-column labels and one-line hints."""

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)

    assert screen_snapshot(make_app(), scenario)
