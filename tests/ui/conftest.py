"""Fixtures of the UI tests: snapshots stored as SVG files in the repository's snapshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation
from ui_walk import Scenario, run_app

from screens.app import WizardApp
from stepwizard.i18n import install_language

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "snapshots"


class StoredSVGExtension(SVGImageExtension):
    """The plugin's SVG snapshots, kept in snapshots/ with one file per test."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return snapshots/<test module>/, which lets syrupy find unused pictures."""
        return str(SNAPSHOT_DIR / test_location.basename)


ScreenSnapshot = Callable[..., bool]


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """Show the English text, whatever LANGUAGE, LC_ALL or LANG the tests run under."""
    # An "en" catalog does not exist, so gettext falls back to the English msgids.
    install_language(["en"])
    yield
    install_language(["en"])


@pytest.fixture
def french_messages(english_messages: None) -> Iterator[None]:
    """Show the French text for one test; english_messages restores English after it."""
    install_language(["fr"])
    yield


@pytest.fixture
def screen_snapshot(snapshot: SnapshotAssertion) -> ScreenSnapshot:
    """Return a function that drives an app, screenshots it at 80x24, and compares the SVG."""
    stored = snapshot.use_extension(StoredSVGExtension)

    def compare(app: WizardApp, scenario: Scenario, after: Scenario | None = None) -> bool:
        """Run ``scenario``, take the picture, then run ``after`` (to release a waiting worker)."""
        svg: list[str] = []

        async def shoot(pilot: Any) -> None:
            await scenario(pilot)
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            svg.append(app.export_screenshot(title="stepwizard"))
            if after is not None:
                await after(pilot)

        run_app(app, shoot)
        return bool(stored == svg[0])

    return compare
