"""Translation of user-facing text through gettext (domain ``stepwizard``)."""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "stepwizard"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_translation: gettext.NullTranslations = gettext.translation(
    DOMAIN, localedir=LOCALE_DIR, fallback=True
)


def install_language(languages: list[str] | None = None) -> None:
    """Switch the catalog in use; ``None`` follows LANGUAGE, LC_ALL, LC_MESSAGES and LANG."""
    global _translation
    _translation = gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=languages, fallback=True
    )


def _(message: str) -> str:
    """Translate ``message`` with the catalog in use."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Translate a message whose form depends on ``count``."""
    return _translation.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction and translate it later, where it is shown."""
    return message
