"""Secret values and the redaction applied to every line that leaves the engine."""

from __future__ import annotations

import logging
import secrets as _random
import string
import threading
from collections.abc import Iterable

MASK = "********"

# Long enough for the CA's keys and safe to paste: letters and digits only.
_ALPHABET = string.ascii_letters + string.digits
GENERATED_LENGTH = 32


class Secret:
    """A password held in memory; its repr and str never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the clear value: call it only to write a 0600 file or feed a prompt."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __str__(self) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and _random.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))


def generate_password(length: int = GENERATED_LENGTH) -> Secret:
    """Return a random password from the operating system's CSPRNG."""
    return Secret("".join(_random.choice(_ALPHABET) for _ in range(length)))


class Redactor:
    """Masks every registered secret in text before it is logged or shown."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def register(self, secret: Secret | str) -> None:
        """Add a value to mask from now on; empty values are ignored."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            with self._lock:
                self._values.add(value)

    def redact(self, text: str) -> str:
        """Return ``text`` with every registered value replaced by the mask."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, MASK)
        return text

    def redact_all(self, lines: Iterable[str]) -> list[str]:
        """Redact each line of ``lines``."""
        return [self.redact(line) for line in lines]


class RedactingFilter(logging.Filter):
    """Logging filter that masks secrets in the final message of every record."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.redact(record.getMessage())
        record.args = None
        return True


# One redactor for the whole process, so logs, screens and errors mask the same values.
REDACTOR = Redactor()
