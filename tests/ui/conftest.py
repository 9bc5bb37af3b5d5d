"""Fixtures of the UI tests: snapshots stored as SVG files in the repository's snapshots/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation
from ui_walk import Scenario, run_app

from screens.app import WizardApp

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "snapshots"


class StoredSVGExtension(SVGImageExtension):
    """The plugin's SVG snapshots, kept in snapshots/ with one file per test."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return snapshots/<test module>/, which lets syrupy find unused pictures."""
        return str(SNAPSHOT_DIR / test_location.basename)


ScreenSnapshot = Callable[..., bool]


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
