"""Fixtures of the end-to-end tests: the wheelhouse an operator would copy to the host."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import build_wheelhouse


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of stepwizard and its dependencies, built once per session with pip wheel."""
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))
