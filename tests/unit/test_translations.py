"""The message catalogs: po/stepwizard.pot is current, po/fr.po is complete, the .mo is built.

The template and the catalogs are rebuilt with scripts/update-translations. Tests that need
xgettext or msgfmt (Debian's gettext package) are skipped when it is missing, unless
STEPWIZARD_REQUIRE_INTEGRATION is set, as scripts/test does.
"""

from __future__ import annotations

import ast
import asyncio
import gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual.widgets import Button, Static

from screens.app import WizardApp
from stepwizard.answers import Answers
from stepwizard.i18n import DOMAIN, LOCALE_DIR, install_language

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "po" / "stepwizard.pot"
FRENCH_PO = ROOT / "po" / "fr.po"
FRENCH_MO = LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.mo"

# The same options as scripts/update-translations, apart from the output file.
XGETTEXT_OPTIONS = ["--from-code=UTF-8", "--language=Python", "--keyword=_", "--keyword=N_",
                    "--keyword=ngettext:1,2", "--add-location=file",
                    "--add-comments=TRANSLATORS:", "--package-name=stepwizard"]

# str.format fields ({name}, {value!r}, {mode:04o}) and printf fields (%(default)s, %s).
_BRACE_FIELD = re.compile(r"\{[^{}]*\}")
_PRINTF_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


@dataclass
class Entry:
    """One message of a PO file."""

    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def read_po(path: Path) -> list[Entry]:
    """Return the messages of a PO file, without its header and obsolete (#~) entries."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        if started and entry.msgid:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            finish()
            entry, target, started = Entry(), None, False
            continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        started = True
        if line.startswith('"'):
            assert target is not None, f"{path}: continuation line without a keyword: {line}"
            text: str = ast.literal_eval(line)
            _append(entry, target, text)
            continue
        keyword, _space, value = line.partition(" ")
        text = ast.literal_eval(value)
        if keyword == "msgid":
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            target = ("msgid_plural", 0)
            entry.msgid_plural = ""
        elif keyword == "msgstr":
            target = ("msgstr", 0)
            entry.msgstr[0] = ""
        elif keyword.startswith("msgstr["):
            index = int(keyword[len("msgstr["):-1])
            target = ("msgstr", index)
            entry.msgstr[index] = ""
        else:
            raise AssertionError(f"{path}: unexpected line: {line}")
        _append(entry, target, text)
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    """Append a string piece to the field of ``entry`` that ``target`` names."""
    name, index = target
    if name == "msgid":
        entry.msgid += text
    elif name == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    else:
        entry.msgstr[index] += text


def placeholders(text: str) -> Counter[str]:
    """Return the str.format and printf fields of ``text``, with their counts."""
    return Counter(_BRACE_FIELD.findall(text) + _PRINTF_FIELD.findall(text))


def require_tool(name: str) -> str:
    """Return the path of a gettext tool; skip when missing, unless integration is required."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("STEPWIZARD_REQUIRE_INTEGRATION"):
            pytest.fail(f"{name} not found: install Debian's gettext package")
        pytest.skip(f"{name} not found: install Debian's gettext package")
    return path


@pytest.fixture
def french() -> Iterator[None]:
    """Use the French catalog for one test, then English again."""
    install_language(["fr"])
    yield
    install_language(["en"])


def test_template_is_current(tmp_path: Path) -> None:
    """A fresh extraction gives the msgids of the committed po/stepwizard.pot."""
    xgettext = require_tool("xgettext")
    sources = sorted(str(path.relative_to(ROOT)) for folder in ("stepwizard", "screens")
                     for path in (ROOT / folder).rglob("*.py"))
    fresh = tmp_path / "fresh.pot"
    subprocess.run([xgettext, *XGETTEXT_OPTIONS, "-o", str(fresh), *sources], cwd=ROOT,
                   check=True, capture_output=True)
    fresh_ids = {(entry.msgid, entry.msgid_plural) for entry in read_po(fresh)}
    committed_ids = {(entry.msgid, entry.msgid_plural) for entry in read_po(TEMPLATE)}
    assert sorted(fresh_ids - committed_ids) == [], "run scripts/update-translations"
    assert sorted(committed_ids - fresh_ids) == [], "run scripts/update-translations"


def test_french_has_every_message() -> None:
    """po/fr.po has every msgid of the template, none fuzzy and none empty."""
    french = {entry.msgid: entry for entry in read_po(FRENCH_PO)}
    missing = [entry.msgid for entry in read_po(TEMPLATE) if entry.msgid not in french]
    assert missing == []
    fuzzy = [entry.msgid for entry in french.values() if "fuzzy" in entry.flags]
    assert fuzzy == []
    empty = [entry.msgid for entry in french.values()
             if not entry.msgstr or not all(entry.msgstr.values())]
    assert empty == []


def test_french_plural_forms_header() -> None:
    """The French catalog declares French plural rules: singular for 0 and 1."""
    header = FRENCH_PO.read_text(encoding="utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in header
    assert '"Language: fr\\n"' in header


@pytest.mark.parametrize("entry", read_po(FRENCH_PO), ids=lambda entry: entry.msgid[:40])
def test_french_keeps_placeholders(entry: Entry) -> None:
    """Every translation has the {fields} and %(fields)s of its msgid, no more and no less."""
    for index, msgstr in entry.msgstr.items():
        source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
        assert placeholders(msgstr) == placeholders(source), msgstr


def test_mo_matches_po() -> None:
    """The committed .mo translates every msgid of po/fr.po to its msgstr."""
    with FRENCH_MO.open("rb") as stream:
        catalog = gettext.GNUTranslations(stream)
    for entry in read_po(FRENCH_PO):
        if entry.msgid_plural is None:
            assert catalog.gettext(entry.msgid) == entry.msgstr[0]
        else:
            assert catalog.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr[0]


def test_mo_equals_fresh_msgfmt(tmp_path: Path) -> None:
    """msgfmt --check accepts po/fr.po and compiles it to the catalog that is committed."""
    msgfmt = require_tool("msgfmt")
    fresh = tmp_path / "fr.mo"
    result = subprocess.run([msgfmt, "--check", "-o", str(fresh), str(FRENCH_PO)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    with fresh.open("rb") as stream:
        fresh_catalog = gettext.GNUTranslations(stream)
    with FRENCH_MO.open("rb") as stream:
        committed_catalog = gettext.GNUTranslations(stream)
    # Compared as catalogs, because two gettext versions may lay out the same .mo differently.
    assert committed_catalog._catalog == fresh_catalog._catalog  # type: ignore[attr-defined]


def cli_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return an environment with the C locale and a private state folder, plus ``extra``."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    environment.update(LC_ALL="C.UTF-8", XDG_STATE_HOME=str(tmp_path / "state"), **extra)
    return environment


def run_plan(tmp_path: Path, *options: str, **environment: str) -> str:
    """Run ``stepwizard [options] plan`` on the example answers and return its output."""
    result = subprocess.run(
        [sys.executable, "-m", "stepwizard.cli", *options, "plan",
         "--answers", str(ROOT / "examples" / "answers.toml"),
         "--log-file", str(tmp_path / "plan.log")],
        env=cli_environment(tmp_path, **environment), capture_output=True, text=True,
        check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_plan_with_lang_fr_prints_french(tmp_path: Path) -> None:
    """stepwizard --lang fr plan titles every step in French."""
    output = run_plan(tmp_path, "--lang", "fr")
    assert "[1/9] Prérequis" in output
    assert "[4/9] Initialisation de l'AC" in output
    assert "[9/9] Résumé" in output
    assert "Prerequisites" not in output


def test_plan_follows_language_variable(tmp_path: Path) -> None:
    """Without --lang, LANGUAGE=fr picks French and the C locale alone keeps English."""
    assert "[2/9] Dépôt" in run_plan(tmp_path, LANGUAGE="fr")
    assert "[2/9] Repository" in run_plan(tmp_path)


def test_help_with_lang_fr_is_french(tmp_path: Path) -> None:
    """--lang is read before the parser is built, so the option help is French."""
    result = subprocess.run([sys.executable, "-m", "stepwizard.cli", "--lang", "fr", "plan",
                             "--help"], env=cli_environment(tmp_path), capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "fichier de réponses (TOML ou JSON)" in result.stdout


def test_welcome_screen_in_french(french: None) -> None:
    """The dry-run welcome screen shows French text, buttons and footer keys."""
    app = WizardApp(dry_run=True, cursor_blink=False,
                    answers=Answers(ca_name="Test Lab CA", dns_names=["ca.test.example"]))
    seen: dict[str, str] = {}

    async def look() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            seen["banner"] = str(screen.query_one("#dry-run-banner", Static).render())
            seen["intro"] = str(screen.query_one("#welcome-intro", Static).render())
            seen["start"] = str(screen.query_one("#start", Button).label)
            seen["quit"] = str(screen.query_one("#quit", Button).label)
            seen["footer"] = " ".join(active.binding.description
                                      for active in screen.active_bindings.values())

    asyncio.run(look())
    assert seen["banner"].startswith("Essai à blanc :")
    assert "Cet assistant installe une autorité de certification" in seen["intro"]
    assert "1. Prérequis" in seen["intro"]
    assert seen["start"] == "Démarrer"
    assert seen["quit"] == "Quitter"
    # The keys stay those of the bindings: only their descriptions are translated.
    assert "Démarrer" in seen["footer"]
    assert "Start" not in seen["footer"]
