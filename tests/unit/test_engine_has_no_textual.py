"""The engine package stays free of Textual, so it runs headless and the UI can be replaced."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "stepwizard"


def imported_modules(path: Path) -> list[str]:
    """Return every module that ``path`` imports, including relative and nested imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
    return modules


def test_engine_files_found() -> None:
    """The walk sees the engine's modules, so an empty pass cannot hide a broken path."""
    assert (ENGINE / "engine.py").is_file()
    assert len(list(ENGINE.rglob("*.py"))) > 10


def test_engine_never_imports_textual() -> None:
    """No module under stepwizard/ imports textual or one of its submodules."""
    offenders = [
        f"{path.relative_to(ENGINE.parent)} imports {module}"
        for path in sorted(ENGINE.rglob("*.py"))
        for module in imported_modules(path)
        if module == "textual" or module.startswith("textual.")
    ]
    assert offenders == []


def test_engine_never_imports_screens() -> None:
    """No engine module imports the screens package statically."""
    offenders = [
        f"{path.relative_to(ENGINE.parent)} imports {module}"
        for path in sorted(ENGINE.rglob("*.py"))
        for module in imported_modules(path)
        if module == "screens" or module.startswith("screens.")
    ]
    assert offenders == []
