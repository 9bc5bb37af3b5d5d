"""Tests for Go duration parsing, normalization and the min <= default <= max check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stepwizard.durations import (
    DurationError,
    check_duration_order,
    format_go_duration,
    normalize_duration,
    parse_go_duration,
    parse_human_duration,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", timedelta(minutes=5)),
        ("24h", timedelta(hours=24)),
        ("672h", timedelta(days=28)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        (".5s", timedelta(milliseconds=500)),
        ("1.s", timedelta(seconds=1)),
        ("300ms", timedelta(milliseconds=300)),
        ("10us", timedelta(microseconds=10)),
        ("10\u00b5s", timedelta(microseconds=10)),
        ("10\u03bcs", timedelta(microseconds=10)),
        ("1500ns", timedelta(microseconds=2)),
        ("1h1m1s1ms", timedelta(hours=1, minutes=1, seconds=1, milliseconds=1)),
        ("30m2h", timedelta(hours=2, minutes=30)),
    ],
)
def test_parse_go_duration_valid(text: str, expected: timedelta) -> None:
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "0", "0s", "-5m", "+5m", "5", "h", ".h", "5 m", " 5m", "5M", "1h30", "1x", "28d", "2w"],
)
def test_parse_go_duration_rejects(text: str) -> None:
    with pytest.raises(DurationError):
        parse_go_duration(text)


def test_parse_go_duration_days_hint() -> None:
    with pytest.raises(DurationError) as raised:
        parse_go_duration("28d")

    message = str(raised.value)
    assert "'28d'" in message
    assert "ns, us, ms, s, m, h" in message
    assert "672h" in message


def test_parse_go_duration_missing_unit() -> None:
    with pytest.raises(DurationError, match="without a unit"):
        parse_go_duration("90")


def test_parse_go_duration_too_long() -> None:
    with pytest.raises(DurationError, match="too long"):
        parse_go_duration("2562048h")


def test_parse_go_duration_under_microsecond() -> None:
    with pytest.raises(DurationError, match="one microsecond"):
        parse_go_duration("1ns")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28d", "672h"),
        ("2w", "336h"),
        ("1d12h", "36h"),
        ("1.5d", "36h"),
        ("90m", "1h30m"),
        ("8760h", "8760h"),
        ("5m", "5m"),
        ("3600s", "1h"),
        ("61s", "1m1s"),
        ("1h0m0s", "1h"),
        ("1500ms", "1.5s"),
        ("500ms", "500ms"),
        ("1500us", "1.5ms"),
        ("7ns", "7ns"),
        ("  24h ", "24h"),
    ],
)
def test_normalize_duration(text: str, expected: str) -> None:
    assert normalize_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0", "0d", "-1d", "1y", "d", "1 d"])
def test_normalize_duration_rejects(text: str) -> None:
    with pytest.raises(DurationError):
        normalize_duration(text)


def test_normalized_output_parses_as_go() -> None:
    for text in ("28d", "2w", "1d12h", "90m", "1500ms", "61s"):
        normalized = normalize_duration(text)
        assert parse_go_duration(normalized) == parse_human_duration(text)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (timedelta(days=28), "672h"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(minutes=1, milliseconds=500), "1m0.5s"),
        (timedelta(microseconds=250), "250us"),
        (timedelta(0), "0s"),
        (timedelta(minutes=-5), "-5m"),
    ],
)
def test_format_go_duration(duration: timedelta, expected: str) -> None:
    assert format_go_duration(duration) == expected


def test_check_duration_order_accepts() -> None:
    check_duration_order("5m", "24h", "24h")
    check_duration_order(timedelta(minutes=5), "1d", "28d")


def test_check_duration_order_min_over_default() -> None:
    with pytest.raises(DurationError) as raised:
        check_duration_order("48h", "24h", "672h")

    message = str(raised.value)
    assert "minimum" in message
    assert "default" in message
    assert "48h" in message
    assert "24h" in message


def test_check_duration_order_default_over_max() -> None:
    with pytest.raises(DurationError) as raised:
        check_duration_order("5m", "720h", "28d")

    message = str(raised.value)
    assert "default" in message
    assert "maximum" in message
    assert "720h" in message
    assert "672h" in message


def test_check_duration_order_rejects_zero() -> None:
    with pytest.raises(DurationError, match="minimum"):
        check_duration_order(timedelta(0), "24h", "24h")
