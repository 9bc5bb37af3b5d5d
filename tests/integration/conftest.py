"""Fixtures and report hooks of the integration tests (see support.py for the helpers)."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from .support import ACTIVE_SERVER_LOGS, Tools, find_tools, read_tail


@pytest.fixture(scope="session")
def tools() -> Tools:
    """The real binaries and clients, checked once per session."""
    return find_tools()



@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
        None, pytest.TestReport, None]:
    """Attach the log of every running step-ca to a failed setup, call or teardown."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.failed and item.get_closest_marker("integration") is not None:
        for path in ACTIVE_SERVER_LOGS:
            report.sections.append((f"step-ca log {path}", read_tail(path)))

