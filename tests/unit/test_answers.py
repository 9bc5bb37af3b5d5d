"""Validation of the answers model: good and bad values for every field."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from pydantic import ValidationError

from stepwizard.answers import (
    Answers,
    AnswersError,
    answers_json_schema,
    format_validation_error,
    load_answers,
    split_address,
)

BASE: dict[str, Any] = {"ca_name": "Home CA", "dns_names": ["ca.home.arpa"]}


def make(**changes: Any) -> Answers:
    return Answers.model_validate({**BASE, **changes})


def errors_of(**changes: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        make(**changes)
    return format_validation_error(caught.value)


def test_defaults_match_manual_procedure() -> None:
    answers = make()
    assert answers.address == ":443"
    assert answers.acme_provisioner == "acme"
    assert answers.remote_management is True
    assert answers.acme_default_duration == "672h"
    assert answers.acme_max_duration == "8760h"
    assert answers.steppath == PurePosixPath("/etc/step-ca")
    assert answers.service_user == "step"
    assert answers.repository_url == "https://packages.smallstep.com/stable/debian"
    assert answers.repository_key_url.endswith("/keys/apt/repo-signing-key.gpg")


@pytest.mark.parametrize("names", [
    ["ca.example.com"], ["localhost"], ["10.0.0.1"], ["::1"], ["fe80::1"],
    ["a-b.example"], ["ca.example.com", "192.0.2.7", "2001:db8::7"],
])
def test_dns_names_accepted(names: list[str]) -> None:
    assert make(dns_names=names).dns_names == names


def test_dns_names_from_comma_list_and_deduplicated() -> None:
    answers = make(dns_names="CA.example.com, 10.0.0.1,ca.example.com")
    assert answers.dns_names == ["ca.example.com", "10.0.0.1"]


@pytest.mark.parametrize("bad", ["-ca.example", "ca..example", "ca_example.com", "*.example.com",
                                 "300.1.1.1", "ca example", "a" * 64 + ".com", "1.2.3"])
def test_dns_names_rejected_with_value(bad: str) -> None:
    lines = errors_of(dns_names=[bad])
    assert len(lines) == 1
    assert lines[0].startswith("dns_names")
    assert bad.lower() in lines[0]


def test_dns_names_empty_rejected() -> None:
    assert errors_of(dns_names=[])[0].startswith("dns_names")


@pytest.mark.parametrize(("address", "host", "port"), [
    (":443", "", 443), ("127.0.0.1:8443", "127.0.0.1", 8443), ("[::1]:9000", "::1", 9000),
    ("ca.example.com:443", "ca.example.com", 443),
])
def test_address_accepted(address: str, host: str, port: int) -> None:
    assert split_address(address) == (host, port)
    assert make(address=address).port == port


@pytest.mark.parametrize(("address", "fragment"), [
    ("443", "no port"), (":0", "outside 1-65535"), (":70000", "outside 1-65535"),
    ("::1:443", "brackets"), ("bad host:443", "neither"), ("[ca]:443", "not an IPv6"),
])
def test_address_rejected_with_fix(address: str, fragment: str) -> None:
    line = errors_of(address=address)[0]
    assert line.startswith("address")
    assert fragment in line


def test_provisioner_names_must_differ() -> None:
    line = errors_of(admin_provisioner="acme", acme_provisioner="acme")[0]
    assert "'acme'" in line
    assert "different names" in line


@pytest.mark.parametrize("field", ["admin_provisioner", "acme_provisioner", "admin_subject"])
@pytest.mark.parametrize("bad", ["", "has space", "a/b", "x" * 129])
def test_names_rejected(field: str, bad: str) -> None:
    assert errors_of(**{field: bad})[0].startswith(field)


def test_durations_accept_days_and_convert() -> None:
    answers = make(acme_min_duration="1h", acme_default_duration="28d",
                   acme_max_duration="365d")
    assert answers.acme_default_duration == "672h"
    assert answers.acme_max_duration == "8760h"


@pytest.mark.parametrize("bad", ["28x", "", "-5m", "0s", "h"])
def test_duration_syntax_rejected(bad: str) -> None:
    line = errors_of(acme_default_duration=bad)[0]
    assert line.startswith("acme_default_duration")


def test_duration_order_enforced() -> None:
    lines = errors_of(acme_min_duration="48h", acme_default_duration="24h")
    assert "24h" in lines[0]


def test_duration_max_below_default_rejected() -> None:
    assert errors_of(acme_max_duration="1h")


@pytest.mark.parametrize("bad", ["relative/path", "/"])
def test_steppath_rejected(bad: str) -> None:
    assert errors_of(steppath=bad)[0].startswith("steppath")


@pytest.mark.parametrize("bad", ["Step", "root", "1step", "a" * 40, "st ep"])
def test_service_user_rejected(bad: str) -> None:
    assert errors_of(service_user=bad)[0].startswith("service_user")


@pytest.mark.parametrize("bad", ["ftp://x", "packages.example", "https://"])
def test_repository_urls_rejected(bad: str) -> None:
    assert "https://" in errors_of(repository_url=bad)[0]
    assert "https://" in errors_of(repository_key_url=bad)[0]


def test_plain_http_mirror_allowed_but_not_for_key() -> None:
    """apt verifies the signature, so a cache over http is fine; the key needs HTTPS."""
    cache = "http://apt-cache.lan:3142/packages.smallstep.com/stable/debian"
    assert make(repository_url=cache).repository_url == cache
    assert "must come over HTTPS" in errors_of(repository_key_url="http://x.example/key")[0]


def test_empty_name_and_dns_explained() -> None:
    assert "for example 'Home CA'" in errors_of(ca_name="")[0]
    assert "at least one DNS name" in errors_of(dns_names=[])[0]
    assert "shorten it to 64" in errors_of(ca_name="x" * 65)[0]


def test_fingerprint_normalised() -> None:
    spaced = "0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567"
    assert make(repository_key_fingerprint=spaced).repository_key_fingerprint == (
        "0123456789ABCDEF0123456789ABCDEF01234567")
    assert make(repository_key_fingerprint="").repository_key_fingerprint is None


def test_fingerprint_rejected() -> None:
    assert "40 hexadecimal" in errors_of(repository_key_fingerprint="1234")[0]


def test_password_file_must_be_absolute() -> None:
    assert errors_of(password_file="pw.txt")[0].startswith("password_file")


def test_unknown_field_rejected() -> None:
    assert "unknown field" in errors_of(ca_password="secret")[0]


def test_ca_name_rejected() -> None:
    assert errors_of(ca_name="   ")[0].startswith("ca_name")


def test_derived_urls() -> None:
    answers = make(dns_names=["ca.example.com"], address="127.0.0.1:8443",
                   acme_provisioner="acme-x")
    assert answers.ca_url == "https://ca.example.com:8443"
    assert answers.acme_directory_url == "https://ca.example.com:8443/acme/acme-x/directory"
    assert make().ca_url == "https://ca.home.arpa"
    assert make(dns_names=["::1"]).ca_url == "https://[::1]"


def test_load_answers_toml(tmp_path: Path) -> None:
    path = tmp_path / "answers.toml"
    path.write_text('ca_name = "Lab"\ndns_names = ["ca.lab.example"]\n')
    assert load_answers(path).ca_name == "Lab"


def test_load_answers_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"dns_names": ["bad_name"], "address": "443"}))
    with pytest.raises(AnswersError) as caught:
        load_answers(path)
    text = str(caught.value)
    assert str(path) in text
    assert "ca_name: missing" in text
    assert "bad_name" in text
    assert "address" in text


def test_load_answers_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "answers.toml"
    path.write_text("ca_name = \n")
    with pytest.raises(AnswersError, match="not valid TOML"):
        load_answers(path)


def test_load_answers_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AnswersError, match="cannot read"):
        load_answers(tmp_path / "absent.toml")


def test_example_answers_file_is_valid() -> None:
    answers = load_answers(Path(__file__).parents[2] / "examples" / "answers.toml")
    assert answers.acme_default_duration == "672h"


def test_shipped_schema_is_current() -> None:
    shipped = Path(__file__).parents[2] / "stepwizard" / "answers.schema.json"
    assert json.loads(shipped.read_text()) == answers_json_schema(), (
        "regenerate with: stepwizard schema > stepwizard/answers.schema.json")


def test_acme_name_clash_with_default_admin() -> None:
    assert errors_of(acme_provisioner="admin")[0].startswith("acme_provisioner")


def test_duration_order_names_fields() -> None:
    line = errors_of(acme_min_duration="48h", acme_default_duration="24h")[0]
    assert line.startswith("acme_max_duration")
    assert "acme_min_duration 48h" in line


@pytest.mark.parametrize("bad", ["//", "/etc", "/var/lib", "/tmp", "/home", "/etc/step ca",
                                 "/etc/../srv/ca", "/etc/step-ca\n"])
def test_unsafe_steppath_rejected(bad: str) -> None:
    assert errors_of(steppath=bad)[0].startswith("steppath")


def test_steppath_normalised() -> None:
    assert make(steppath="/srv//step-ca/").steppath == PurePosixPath("/srv/step-ca")


@pytest.mark.parametrize("field", ["remote_management", "reinitialize", "trust_on_first_use"])
@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_booleans_are_strict(field: str, value: Any) -> None:
    assert errors_of(**{field: value})[0].startswith(field)


@pytest.mark.parametrize("bad", ["https://user:pw@packages.example/debian",
                                 "https://packages.example/deb\x00ian",
                                 "https://packages.example/déb"])
def test_url_credentials_and_controls_rejected(bad: str) -> None:
    assert errors_of(repository_url=bad)[0].startswith("repository_url")


def test_url_credentials_point_to_auth_conf() -> None:
    line = errors_of(repository_key_url="https://u:p@packages.example/key.gpg")[0]
    assert "/etc/apt/auth.conf.d/" in line


@pytest.mark.parametrize("bad", ["Home\u202eCA", "Home\u200bCA", "Home\x7fCA", "A\u2028B"])
def test_ca_name_controls_rejected(bad: str) -> None:
    assert errors_of(ca_name=bad)[0].startswith("ca_name")


@pytest.mark.parametrize("bad", ["[::1]:\u0664\u0664\u0663", "[fe80::1%eth0]:8443"])
def test_exotic_addresses_rejected(bad: str) -> None:
    assert errors_of(address=bad)[0].startswith("address")


def test_ip_zone_rejected() -> None:
    assert "xn--" in errors_of(dns_names=["fe80::1%eth0"])[0]


def test_load_answers_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("ca_name: x\n")
    with pytest.raises(AnswersError, match=r"\*.toml or \*.json"):
        load_answers(path)


def test_load_answers_bom_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "answers.toml"
    path.write_bytes(b'\xef\xbb\xbfca_name = "Lab"\ndns_names = ["ca.lab.example"]\n')
    assert load_answers(path).ca_name == "Lab"
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    with pytest.raises(AnswersError, match="folder"):
        load_answers(folder)
