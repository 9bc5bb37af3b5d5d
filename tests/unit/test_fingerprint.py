"""Tests for the root fingerprint: computing, grouping, parsing step output, OSC 52."""

from __future__ import annotations

import base64
import datetime
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from stepwizard.fingerprint import (
    FingerprintError,
    group_fingerprint,
    normalize_fingerprint,
    osc52_copy_sequence,
    parse_step_fingerprint,
    root_fingerprint,
    strip_ansi,
)

SAMPLE_FINGERPRINT = "0123456789abcdef" * 4


@pytest.fixture(scope="module")
def root_certificate() -> x509.Certificate:
    """Self-signed P-256 root certificate like the one step ca init creates."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root CA")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .sign(key, hashes.SHA256())
    )


def test_root_fingerprint_der(root_certificate: x509.Certificate) -> None:
    der = root_certificate.public_bytes(serialization.Encoding.DER)

    fingerprint = root_fingerprint(der)

    assert fingerprint == hashlib.sha256(der).hexdigest()
    assert len(fingerprint) == 64
    assert fingerprint == fingerprint.lower()


def test_root_fingerprint_pem_equals_der(root_certificate: x509.Certificate) -> None:
    der = root_certificate.public_bytes(serialization.Encoding.DER)
    pem = root_certificate.public_bytes(serialization.Encoding.PEM)

    assert root_fingerprint(b"\n" + pem) == root_fingerprint(der)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_root_fingerprint_matches_openssl(
    root_certificate: x509.Certificate, tmp_path: Path
) -> None:
    pem = root_certificate.public_bytes(serialization.Encoding.PEM)
    certificate_path = tmp_path / "root_ca.crt"
    certificate_path.write_bytes(pem)

    completed = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", str(certificate_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    # OpenSSL prints a label, "=", then the digits as uppercase pairs joined by colons.
    openssl_value = completed.stdout.strip().split("=", 1)[1]

    assert openssl_value == openssl_value.upper()
    assert ":" in openssl_value
    assert normalize_fingerprint(openssl_value) == root_fingerprint(pem)


@pytest.mark.parametrize("data", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\n"])
def test_root_fingerprint_rejects_garbage(data: bytes) -> None:
    with pytest.raises(FingerprintError):
        root_fingerprint(data)


def test_group_fingerprint_two_lines() -> None:
    grouped = group_fingerprint(SAMPLE_FINGERPRINT)

    lines = grouped.split("\n")
    assert len(lines) == 2
    assert lines[0] == "0123 4567 89ab cdef 0123 4567 89ab cdef"
    assert lines[1] == lines[0]
    assert grouped.replace(" ", "").replace("\n", "") == SAMPLE_FINGERPRINT


def test_group_fingerprint_custom_size() -> None:
    grouped = group_fingerprint(SAMPLE_FINGERPRINT, size=8, groups_per_line=16)

    assert "\n" not in grouped
    assert grouped.split(" ")[0] == "01234567"
    assert len(grouped.split(" ")) == 8


def test_group_fingerprint_rejects_bad_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        group_fingerprint(SAMPLE_FINGERPRINT, size=0)


def test_normalize_fingerprint_openssl_form() -> None:
    openssl_form = ":".join(
        SAMPLE_FINGERPRINT[index : index + 2].upper() for index in range(0, 64, 2)
    )

    assert normalize_fingerprint(openssl_form) == SAMPLE_FINGERPRINT


@pytest.mark.parametrize("value", ["", "abc", SAMPLE_FINGERPRINT + "00", "g" * 64])
def test_normalize_fingerprint_rejects(value: str) -> None:
    with pytest.raises(FingerprintError):
        normalize_fingerprint(value)


def test_parse_step_fingerprint_plain() -> None:
    output = (
        "Root certificate: /etc/step-ca/certs/root_ca.crt\n"
        f"Root fingerprint: {SAMPLE_FINGERPRINT}\n"
    )

    assert parse_step_fingerprint(output) == SAMPLE_FINGERPRINT


def test_parse_step_fingerprint_coloured() -> None:
    line = f"\x1b[32m✔\x1b[0m \x1b[1mRoot fingerprint:\x1b[0m {SAMPLE_FINGERPRINT}\r\n"
    output = "\x1b[2K\x1b[1G✔ Root certificate: /etc/step-ca/certs/root_ca.crt\r\n" + line

    assert parse_step_fingerprint(output) == SAMPLE_FINGERPRINT


def test_parse_step_fingerprint_colour_after_colon() -> None:
    # The raw pattern also tolerates an escape code between the colon and the space.
    output = f"Root fingerprint\x1b[0m:\x1b[22m {SAMPLE_FINGERPRINT}"

    assert parse_step_fingerprint(output) == SAMPLE_FINGERPRINT


def test_parse_step_fingerprint_last_wins() -> None:
    other = "f" * 64
    output = f"Root fingerprint: {SAMPLE_FINGERPRINT}\nRoot fingerprint: {other}\n"

    assert parse_step_fingerprint(output) == other


@pytest.mark.parametrize(
    "output",
    ["", "Your PKI is ready to go.", "Root fingerprint: 1234", f"Root fingerprint: {'A' * 64}"],
)
def test_parse_step_fingerprint_absent(output: str) -> None:
    assert parse_step_fingerprint(output) is None


def test_strip_ansi_removes_osc_and_csi() -> None:
    text = "\x1b]0;title\x07\x1b[1;31mred\x1b[0m plain"

    assert strip_ansi(text) == "red plain"


def test_osc52_copy_sequence() -> None:
    sequence = osc52_copy_sequence(SAMPLE_FINGERPRINT)

    assert sequence.startswith("\x1b]52;c;")
    assert sequence.endswith("\x07")
    payload = sequence.removeprefix("\x1b]52;c;").removesuffix("\x07")
    assert base64.b64decode(payload).decode("utf-8") == SAMPLE_FINGERPRINT


def test_osc52_copy_sequence_utf8() -> None:
    sequence = osc52_copy_sequence("empreinte é")

    payload = sequence.removeprefix("\x1b]52;c;").removesuffix("\x07")
    assert base64.b64decode(payload).decode("utf-8") == "empreinte é"
