"""The root certificate's fingerprint: computing it, reading it from step's output, showing it.

Clients pin the root with ``step ca bootstrap --fingerprint FP``, where FP is the SHA-256 of
the root certificate's DER bytes in lowercase hex without separators. The fingerprint is
public, but it must reach clients over a channel the operator trusts.
"""

from __future__ import annotations

import base64
import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from stepwizard.i18n import _

SHA256_HEX_LENGTH = 64

# CSI sequences (colours, cursor moves) and OSC sequences ended by BEL or ST.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")

# step ca init prints "Root fingerprint: <hex>". The \S* parts skip an escape sequence around
# the colon in case one survives the stripping.
_STEP_FINGERPRINT = re.compile(r"Root fingerprint\S*:\S* ([0-9a-f]{64})")


class FingerprintError(ValueError):
    """Certificate that cannot be read, or a fingerprint that is not 64 hex digits."""


def root_fingerprint(pem_or_der: bytes) -> str:
    """Return the SHA-256 fingerprint of a certificate as 64 lowercase hex digits.

    Accepts PEM (the first certificate in the data is used) or DER. Raises
    FingerprintError when the bytes hold no readable certificate.
    """
    try:
        if pem_or_der.lstrip().startswith(b"-----BEGIN"):
            certificate = x509.load_pem_x509_certificate(pem_or_der)
        else:
            certificate = x509.load_der_x509_certificate(pem_or_der)
    except ValueError as error:
        raise FingerprintError(
            _("The root certificate could not be read as PEM or DER: {error}").format(error=error)
        ) from error

    return certificate.fingerprint(hashes.SHA256()).hex()


def normalize_fingerprint(fingerprint: str) -> str:
    """Return a SHA-256 fingerprint as 64 lowercase hex digits.

    Accepts upper or lower case with colons or whitespace between digits, as OpenSSL
    and transcribed copies write it. Raises FingerprintError on anything else.
    """
    digits = re.sub(r"[\s:]", "", fingerprint).lower()
    if len(digits) != SHA256_HEX_LENGTH or not re.fullmatch(r"[0-9a-f]+", digits):
        raise FingerprintError(
            _("{value!r} is not a SHA-256 fingerprint: expected 64 hex digits.").format(
                value=fingerprint
            )
        )
    return digits


def group_fingerprint(fingerprint: str, size: int = 4, groups_per_line: int = 8) -> str:
    """Split a fingerprint into groups of ``size`` digits for reading aloud or copying by hand.

    Groups are separated by a space and every ``groups_per_line`` groups start a new line,
    so a SHA-256 fingerprint gives two lines of eight groups: ``ab12 cd34 ...``. The
    input goes through normalize_fingerprint first.
    """
    if size < 1 or groups_per_line < 1:
        raise ValueError(
            f"size and groups_per_line must be positive, not {size} and {groups_per_line}"
        )

    digits = normalize_fingerprint(fingerprint)
    groups = [digits[start : start + size] for start in range(0, len(digits), size)]
    lines = [
        " ".join(groups[start : start + groups_per_line])
        for start in range(0, len(groups), groups_per_line)
    ]
    return "\n".join(lines)


def strip_ansi(text: str) -> str:
    """Remove terminal escape sequences (colours, cursor moves, window titles) from text."""
    return _ANSI_ESCAPE.sub("", text)


def parse_step_fingerprint(output: str) -> str | None:
    """Return the root fingerprint from the output of ``step ca init``, or None.

    Escape sequences are removed first, because step colours its output even without a
    terminal. When the output contains several fingerprints, the last one is returned.
    """
    matches = _STEP_FINGERPRINT.findall(strip_ansi(output))
    if not matches:
        return None
    fingerprint: str = matches[-1]
    return fingerprint


def osc52_copy_sequence(text: str) -> str:
    """Return the OSC 52 escape sequence that requests the terminal to copy text to the clipboard.

    The text is sent as base64 of its UTF-8 bytes and the sequence ends with BEL, which
    more terminals accept than ST.
    """
    # NOTE: tmux and screen drop OSC 52 unless their clipboard pass-through is enabled.
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{payload}\x07"
