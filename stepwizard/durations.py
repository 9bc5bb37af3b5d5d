"""Go duration strings as step and step-ca read them, plus the days and weeks operators type.

step-ca reads certificate lifetimes (``claims.minTLSCertDuration`` and the ``--x509-*-dur``
flags) with Go's ``time.ParseDuration``: a sequence of decimal numbers, each followed by one
of the units ns, us (or µs), ms, s, m and h. Go has no day unit, so 28 days is ``672h``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction

from stepwizard.i18n import N_, _

NANOSECOND = 1
MICROSECOND = 1000 * NANOSECOND
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY

# Go's time.ParseDuration accepts both the micro sign U+00B5 and the Greek mu U+03BC.
GO_UNITS: dict[str, int] = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,
    "\u03bcs": MICROSECOND,
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
HUMAN_UNITS: dict[str, int] = {**GO_UNITS, "d": DAY, "w": WEEK}

# Go stores a duration in a signed 64-bit count of nanoseconds and rejects anything larger.
MAX_NANOSECONDS = 2**63 - 1

# One component: digits with an optional fraction (".5" and "1." are valid in Go), then a unit
# made of anything that is neither a digit nor a dot.
_COMPONENT = re.compile(r"(?P<number>[0-9]*(?:\.[0-9]*)?)(?P<unit>[^0-9.]*)")

_GO_UNITS_HINT = N_("use Go duration units ns, us, ms, s, m, h; 28 days is 672h")
# Hint for durations typed by operators, who may also use days and weeks.
_HUMAN_UNITS_HINT = N_("use the units ns, us, ms, s, m, h, d (days) or w (weeks), for example "
                       "28d or 672h")


class DurationError(ValueError):
    """Invalid duration, or durations in the wrong order; the message names the value and fix."""


def parse_go_duration(text: str) -> timedelta:
    """Parse a Go duration such as ``24h``, ``1h30m`` or ``1.5s`` into a timedelta.

    Accepts exactly what Go's ``time.ParseDuration`` accepts, except that the value must be
    greater than zero, so a sign, ``0`` and days or weeks raise DurationError. Precision
    below one microsecond is rounded away, because timedelta cannot hold it.
    """
    nanoseconds = _parse_nanoseconds(text, GO_UNITS)
    return _to_timedelta(text, nanoseconds)


def parse_human_duration(text: str) -> timedelta:
    """Parse a Go duration that may also use ``d`` (24h) and ``w`` (7 days), e.g. ``1d12h``.

    Surrounding whitespace is ignored. The value must be greater than zero, or
    DurationError is raised.
    """
    nanoseconds = _parse_nanoseconds(text.strip(), HUMAN_UNITS)
    return _to_timedelta(text, nanoseconds)


def normalize_duration(text: str) -> str:
    """Convert a duration typed by an operator into the canonical Go string step accepts.

    Days and weeks become hours: ``28d`` gives ``672h``, ``90m`` gives ``1h30m`` and
    ``5m`` stays ``5m``. Raises DurationError when the text is not a valid duration
    greater than zero.
    """
    nanoseconds = _parse_nanoseconds(text.strip(), HUMAN_UNITS)
    if nanoseconds <= 0:
        raise DurationError(_not_positive_message(text))
    return _format_nanoseconds(nanoseconds)


def format_go_duration(duration: timedelta) -> str:
    """Format a timedelta as the canonical Go duration string used by this package.

    Hours, minutes and seconds appear in that order and zero parts are left out
    (``1h30m``, ``672h``, ``1m0.5s``). A duration under one second
    uses ms or us, zero is ``0s`` and a negative duration starts with ``-``.
    """
    nanoseconds = (duration // timedelta(microseconds=1)) * MICROSECOND
    return _format_nanoseconds(nanoseconds)


def check_duration_order(
    minimum: timedelta | str, default: timedelta | str, maximum: timedelta | str
) -> None:
    """Raise DurationError unless 0 < minimum <= default <= maximum.

    Strings are parsed with parse_human_duration. The error names the pair that breaks
    the order and both values, in the canonical Go form.
    """
    # The keys are the words the messages use; they are translated where shown.
    values = {
        N_("minimum"): _as_timedelta(minimum),
        N_("default"): _as_timedelta(default),
        N_("maximum"): _as_timedelta(maximum),
    }
    for name, value in values.items():
        if value <= timedelta(0):
            raise DurationError(
                _("The {name} duration {value} must be greater than zero.").format(
                    name=_(name), value=format_go_duration(value)
                )
            )

    for lower, upper in (("minimum", "default"), ("default", "maximum")):
        if values[lower] > values[upper]:
            raise DurationError(
                _(
                    "The {lower} duration {lower_value} is greater than the {upper} duration "
                    "{upper_value}: lower the {lower} or raise the {upper}."
                ).format(
                    lower=_(lower),
                    upper=_(upper),
                    lower_value=format_go_duration(values[lower]),
                    upper_value=format_go_duration(values[upper]),
                )
            )


def _as_timedelta(value: timedelta | str) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_human_duration(value)


def _to_timedelta(text: str, nanoseconds: int) -> timedelta:
    if nanoseconds <= 0:
        raise DurationError(_not_positive_message(text))
    microseconds = round(Fraction(nanoseconds, MICROSECOND))
    if microseconds == 0:
        raise DurationError(
            _("The duration {value!r} is shorter than one microsecond.").format(value=text)
        )
    return timedelta(microseconds=microseconds)


def _parse_nanoseconds(text: str, units: dict[str, int]) -> int:
    """Parse text into nanoseconds with Go's grammar and the given unit table.

    A leading sign is rejected and ``0`` alone returns 0; every other value needs a unit
    after each number, as in Go.
    """
    if text[:1] in ("-", "+"):
        raise DurationError(_not_positive_message(text))
    if text == "0":
        return 0
    if not text:
        raise DurationError(_("The duration is empty: {hint}.").format(hint=_(_hint(units))))

    total = Fraction(0)
    position = 0
    while position < len(text):
        match = _COMPONENT.match(text, position)
        assert match is not None  # the pattern can match the empty string
        number, unit = match.group("number"), match.group("unit")
        if number in ("", "."):
            raise DurationError(_invalid_message(text, _hint(units)))
        if unit not in units:
            raise DurationError(_unknown_unit_message(text, unit, _hint(units)))
        total += Fraction(number) * units[unit]
        position = match.end()

    nanoseconds = int(total)  # Go truncates a fraction of a nanosecond
    if nanoseconds > MAX_NANOSECONDS:
        raise DurationError(
            _("The duration {value!r} is too long: the maximum is 2562047h.").format(value=text)
        )
    return nanoseconds


def _format_nanoseconds(nanoseconds: int) -> str:
    if nanoseconds < 0:
        return "-" + _format_nanoseconds(-nanoseconds)
    if nanoseconds == 0:
        return "0s"
    if nanoseconds < SECOND:
        for unit_name, unit in (("ms", MILLISECOND), ("us", MICROSECOND)):
            if nanoseconds >= unit:
                return _decimal(nanoseconds, unit) + unit_name
        return f"{nanoseconds}ns"

    hours, rest = divmod(nanoseconds, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if rest:
        parts.append(_decimal(rest, SECOND) + "s")
    return "".join(parts)


def _decimal(nanoseconds: int, unit: int) -> str:
    """Write nanoseconds / unit as a decimal number without trailing zeros."""
    whole, fraction = divmod(nanoseconds, unit)
    if not fraction:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}." + f"{fraction:0{digits}d}".rstrip("0")


def _not_positive_message(text: str) -> str:
    return _("The duration {value!r} must be greater than zero, for example 24h.").format(
        value=text
    )


def _hint(units: dict[str, int]) -> str:
    """Return the untranslated unit hint for a parse with ``units``."""
    return _HUMAN_UNITS_HINT if "d" in units else _GO_UNITS_HINT


def _invalid_message(text: str, hint: str) -> str:
    return _("The duration {value!r} is invalid: {hint}.").format(
        value=text, hint=_(hint)
    )


def _unknown_unit_message(text: str, unit: str, hint: str) -> str:
    if not unit:
        return _("The duration {value!r} has a number without a unit: {hint}.").format(
            value=text, hint=_(hint)
        )
    message = _("The duration {value!r} has the unknown unit {unit!r}: {hint}.").format(
        value=text, unit=unit, hint=_(hint)
    )
    if unit in HUMAN_UNITS:
        try:
            equivalent = _format_nanoseconds(_parse_nanoseconds(text, HUMAN_UNITS))
        except DurationError:
            return message
        message += " " + _("Write {value!r} as {equivalent}.").format(
            value=text, equivalent=equivalent
        )
    return message
