"""Tests for the ca.json model: round trips, hardening, claims, diff and atomic writes."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from stepwizard.caconfig import (
    HARDENED_CIPHER_SUITES,
    CaConfig,
    CaConfigError,
    ProvisionerNotFoundError,
    ca_config_to_dict,
    deep_merge,
    dumps_ca_config,
    find_provisioner,
    harden,
    hardening_overlay,
    load_ca_config,
    parse_ca_config,
    set_provisioner_claims,
    unified_diff,
    write_atomically,
)
from stepwizard.durations import DurationError
from stepwizard.errors import StepError


def make_ca_json(db: dict[str, Any] | None) -> dict[str, Any]:
    """ca.json shaped like step ca init --acme writes it, plus unknown keys at every level."""
    data: dict[str, Any] = {
        "root": "/etc/step-ca/certs/root_ca.crt",
        "federatedRoots": None,
        "crt": "/etc/step-ca/certs/intermediate_ca.crt",
        "key": "/etc/step-ca/secrets/intermediate_ca_key",
        "address": ":443",
        "insecureAddress": "",
        "dnsNames": ["ca.example.internal", "10.0.0.5"],
        "logger": {"format": "json", "futureLoggerOption": 3},
        "authority": {
            "provisioners": [
                {
                    "type": "JWK",
                    "name": "admin@example.internal",
                    "key": {"use": "sig", "kty": "EC", "kid": "kid-1", "crv": "P-256"},
                    "encryptedKey": "eyJhbGciOiJQQkVTMi1IUzI1NitBMTI4S1ciLCJlbmMiOiJBMjU2R0NNIn0",
                    "claims": {"enableSSHCA": True, "minTLSCertDuration": "5m"},
                    "unknownProvisionerKey": {"nested": [1, 2, {"deep": None}]},
                },
                {
                    "type": "ACME",
                    "name": "acme",
                    "forceCN": True,
                    "claims": {
                        "minTLSCertDuration": "5m",
                        "defaultTLSCertDuration": "24h",
                        "maxTLSCertDuration": "672h",
                        "allowRenewalAfterExpiry": False,
                    },
                    "options": {"x509": {"templateFile": "templates/acme.tpl"}},
                },
            ],
            "template": {},
            "backdate": "1m0s",
            "policy": {"x509": {"allow": {"dns": ["*.example.internal"]}}},
        },
        "tls": {
            "cipherSuites": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
            "minVersion": 1.2,
            "maxVersion": 1.3,
            "renegotiation": False,
        },
        "commonName": "Example Online CA",
        "unknownTopLevel": {"answer": 42, "list": ["a", "b"]},
    }
    if db is not None:
        data["db"] = db
    return data


BBOLT_DB = {"type": "bbolt", "dataSource": "/etc/step-ca/db/bbolt.db"}
BADGER_DB = {"type": "badgerv2", "dataSource": "/etc/step-ca/db", "badgerFileLoadingMode": ""}


def load(data: dict[str, Any]) -> CaConfig:
    return parse_ca_config(json.dumps(data, indent="\t"))


def test_round_trip_keeps_every_value() -> None:
    data = make_ca_json(BADGER_DB)

    dumped = json.loads(dumps_ca_config(load(data)))

    assert dumped == data


def test_round_trip_keeps_key_order() -> None:
    data = make_ca_json(BBOLT_DB)

    dumped = json.loads(dumps_ca_config(load(data)))

    assert list(dumped) == list(data)
    assert list(dumped["authority"]["provisioners"][0]) == list(
        data["authority"]["provisioners"][0]
    )


def test_round_trip_adds_no_defaults() -> None:
    data = {"root": "r.crt", "authority": {"provisioners": [{"type": "ACME", "name": "acme"}]}}

    assert ca_config_to_dict(load(data)) == data


def test_dump_format() -> None:
    text = dumps_ca_config(load(make_ca_json(BBOLT_DB)))

    assert text.endswith("}\n")
    assert '\n\t"root": ' in text
    assert dumps_ca_config(load(make_ca_json(BBOLT_DB)), indent="    ").startswith('{\n    "')


def test_model_exposes_known_keys() -> None:
    config = load(make_ca_json(BADGER_DB))

    assert config.dns_names == ["ca.example.internal", "10.0.0.5"]
    assert config.db is not None
    assert config.db.type == "badgerv2"
    assert config.authority is not None
    assert config.authority.provisioners is not None
    assert [p.name for p in config.authority.provisioners] == ["admin@example.internal", "acme"]
    assert config.tls is not None
    assert config.tls.min_version == 1.2


@pytest.mark.parametrize("db", [BBOLT_DB, BADGER_DB], ids=["bbolt", "badgerv2"])
def test_harden_keeps_untouched_blocks(db: dict[str, Any]) -> None:
    data = make_ca_json(db)

    hardened = ca_config_to_dict(harden(load(data), enable_admin=True))

    assert hardened["authority"]["provisioners"] == data["authority"]["provisioners"]
    assert hardened["authority"]["policy"] == data["authority"]["policy"]
    assert hardened["authority"]["backdate"] == "1m0s"
    assert hardened["unknownTopLevel"] == data["unknownTopLevel"]
    assert hardened["commonName"] == "Example Online CA"
    assert hardened["federatedRoots"] is None
    assert hardened["logger"]["futureLoggerOption"] == 3
    assert hardened["db"]["type"] == db["type"]
    assert hardened["db"]["dataSource"] == db["dataSource"]
    for key in ("root", "crt", "key", "address", "insecureAddress", "dnsNames"):
        assert hardened[key] == data[key]


def test_harden_applies_overlay() -> None:
    hardened = ca_config_to_dict(harden(load(make_ca_json(BBOLT_DB)), enable_admin=True))

    assert hardened["logger"]["format"] == "text"
    assert hardened["authority"]["enableAdmin"] is True
    assert hardened["tls"] == {
        "cipherSuites": list(HARDENED_CIPHER_SUITES),
        "minVersion": 1.2,
        "maxVersion": 1.3,
        "renegotiation": False,
    }


def test_harden_enable_admin_false() -> None:
    data = make_ca_json(BBOLT_DB)
    data["authority"]["enableAdmin"] = True

    hardened = ca_config_to_dict(harden(load(data), enable_admin=False))

    assert hardened["authority"]["enableAdmin"] is False


def test_harden_cipher_suites_are_ecdhe_aead() -> None:
    assert len(HARDENED_CIPHER_SUITES) == 6
    for suite in HARDENED_CIPHER_SUITES:
        assert suite.startswith("TLS_ECDHE_")
        assert "GCM" in suite or "CHACHA20_POLY1305" in suite


def test_harden_badger_gets_fileio() -> None:
    hardened = ca_config_to_dict(harden(load(make_ca_json(BADGER_DB)), enable_admin=False))

    assert hardened["db"] == {
        "type": "badgerv2",
        "dataSource": "/etc/step-ca/db",
        "badgerFileLoadingMode": "FileIO",
    }


@pytest.mark.parametrize("db_type", ["badger", "badgerv1", "badgerV2", "BadgerV2"])
def test_harden_badger_spellings(db_type: str) -> None:
    config = load(make_ca_json({"type": db_type, "dataSource": "/var/lib/step-ca/db"}))

    hardened = ca_config_to_dict(harden(config, enable_admin=False))

    assert hardened["db"]["badgerFileLoadingMode"] == "FileIO"
    assert hardened["db"]["type"] == db_type


def test_harden_bbolt_gets_no_loading_mode() -> None:
    hardened = ca_config_to_dict(harden(load(make_ca_json(BBOLT_DB)), enable_admin=False))

    assert hardened["db"] == BBOLT_DB


def test_harden_without_db_adds_none() -> None:
    hardened = ca_config_to_dict(harden(load(make_ca_json(None)), enable_admin=False))

    assert "db" not in hardened


def test_harden_is_idempotent() -> None:
    config = load(make_ca_json(BADGER_DB))

    once = harden(config, enable_admin=True)
    twice = harden(once, enable_admin=True)

    assert dumps_ca_config(twice) == dumps_ca_config(once)


def test_harden_leaves_input_unchanged() -> None:
    config = load(make_ca_json(BADGER_DB))
    before = dumps_ca_config(config)

    harden(config, enable_admin=True)

    assert dumps_ca_config(config) == before


def test_hardening_overlay_has_no_provisioners() -> None:
    overlay = hardening_overlay(load(make_ca_json(BADGER_DB)), enable_admin=True)

    assert "provisioners" not in overlay["authority"]
    assert list(overlay["authority"]) == ["enableAdmin"]


def test_deep_merge_replaces_lists_merges_dicts() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    overlay = {"a": {"y": [3], "z": 4}, "c": 5}

    merged = deep_merge(base, overlay)

    assert merged == {"a": {"x": 1, "y": [3], "z": 4}, "b": 2, "c": 5}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}


def test_find_provisioner() -> None:
    config = load(make_ca_json(BBOLT_DB))

    acme = find_provisioner(config, "acme")

    assert acme is not None
    assert acme.type == "ACME"
    assert find_provisioner(config, "missing") is None
    assert find_provisioner(load({"root": "r"}), "acme") is None


def test_set_provisioner_claims() -> None:
    config = load(make_ca_json(BBOLT_DB))

    updated = set_provisioner_claims(config, "acme", "5m", "2w", "28d")

    claims = ca_config_to_dict(updated)["authority"]["provisioners"][1]["claims"]
    assert claims == {
        "minTLSCertDuration": "5m",
        "defaultTLSCertDuration": "336h",
        "maxTLSCertDuration": "672h",
        "allowRenewalAfterExpiry": False,
    }


def test_set_provisioner_claims_keeps_others() -> None:
    data = make_ca_json(BBOLT_DB)

    updated = ca_config_to_dict(set_provisioner_claims(load(data), "acme", "1h", "24h", "48h"))

    assert updated["authority"]["provisioners"][0] == data["authority"]["provisioners"][0]
    assert updated["authority"]["provisioners"][1]["options"] == {
        "x509": {"templateFile": "templates/acme.tpl"}
    }


def test_set_provisioner_claims_without_claims() -> None:
    data = {"authority": {"provisioners": [{"type": "ACME", "name": "acme"}]}}

    updated = ca_config_to_dict(set_provisioner_claims(load(data), "acme", "5m", "24h", "24h"))

    assert updated["authority"]["provisioners"][0]["claims"] == {
        "minTLSCertDuration": "5m",
        "defaultTLSCertDuration": "24h",
        "maxTLSCertDuration": "24h",
    }


def test_set_provisioner_claims_missing_name() -> None:
    with pytest.raises(ProvisionerNotFoundError) as raised:
        set_provisioner_claims(load(make_ca_json(BBOLT_DB)), "acme2", "5m", "24h", "24h")

    message = str(raised.value)
    assert "'acme2'" in message
    assert "acme" in message
    assert "admin@example.internal" in message


def test_set_provisioner_claims_bad_order() -> None:
    with pytest.raises(DurationError, match="default"):
        set_provisioner_claims(load(make_ca_json(BBOLT_DB)), "acme", "5m", "48h", "24h")


def test_unified_diff_shows_changes() -> None:
    old_text = dumps_ca_config(load(make_ca_json(BADGER_DB)))
    new_text = dumps_ca_config(harden(load(make_ca_json(BADGER_DB)), enable_admin=True))

    diff = unified_diff(old_text, new_text, "/etc/step-ca/config/ca.json")

    assert diff.startswith("--- /etc/step-ca/config/ca.json (current)\n")
    assert '-\t\t"format": "json",' in diff
    assert '+\t\t"format": "text",' in diff
    assert '+\t\t"badgerFileLoadingMode": "FileIO"' in diff
    assert '+\t\t"enableAdmin": true' in diff
    assert "provisioners" not in diff


def test_unified_diff_equal_texts() -> None:
    assert unified_diff("{}\n", "{}\n", "ca.json") == ""


def test_unified_diff_missing_newline() -> None:
    diff = unified_diff("{}", "{}\n", "ca.json")

    assert "-{}\n\\ No newline at end of file\n+{}\n" in diff


def test_unified_diff_line_separator_in_value() -> None:
    old_text = '{"commonName": "a\u2028b"}\n'
    new_text = '{"commonName": "c\u2028d"}\n'

    diff = unified_diff(old_text, new_text, "ca.json")

    assert "No newline" not in diff
    assert '-{"commonName": "a\u2028b"}\n' in diff


def test_load_broken_json_position(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text('{\n\t"root": "r",\n\t"crt" "c"\n}\n')

    with pytest.raises(CaConfigError) as raised:
        load_ca_config(path)

    message = str(raised.value)
    assert str(path) in message
    assert "line 3" in message
    assert "column 8" in message
    assert "character 23" in message


def test_load_wrong_type_names_key(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text(json.dumps({"authority": {"enableAdmin": "yes"}}))

    with pytest.raises(CaConfigError) as raised:
        load_ca_config(path)

    assert str(path) in str(raised.value)
    assert "authority.enableAdmin" in str(raised.value)


def test_load_provisioner_without_name(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text(json.dumps({"authority": {"provisioners": [{"type": "ACME"}]}}))

    with pytest.raises(CaConfigError, match=r"authority\.provisioners\.0\.name"):
        load_ca_config(path)


def test_load_rejects_non_object(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text("[]")

    with pytest.raises(CaConfigError, match="JSON object"):
        load_ca_config(path)


def test_write_atomically_keeps_mode_and_backs_up(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text("old\n")
    os.chmod(path, 0o644)

    backup = write_atomically(path, "new\n")

    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert backup is not None
    assert backup.parent == tmp_path
    assert re.fullmatch(r"ca\.json\.bak-\d{8}T\d{6}Z", backup.name)
    assert backup.read_text() == "old\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o644


def test_write_atomically_keeps_unusual_mode(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text("old\n")
    os.chmod(path, 0o640)

    write_atomically(path, "new\n", backup=False)

    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_write_atomically_keeps_owner(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text("old\n")
    before = path.stat()

    backup = write_atomically(path, "new\n")

    after = path.stat()
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert after.st_uid == os.getuid()
    assert backup is not None
    assert backup.stat().st_uid == before.st_uid


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_write_atomically_restores_other_owner(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text("old\n")
    os.chown(path, 65534, 65534)

    backup = write_atomically(path, "new\n")

    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)
    assert backup is not None
    assert (backup.stat().st_uid, backup.stat().st_gid) == (65534, 65534)


def test_write_atomically_two_backups_same_second(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text("first\n")

    first = write_atomically(path, "second\n")
    second = write_atomically(path, "third\n")

    assert first is not None
    assert second is not None
    assert first != second
    assert {first.read_text(), second.read_text()} == {"first\n", "second\n"}


def test_write_atomically_new_file(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"

    backup = write_atomically(path, "{}\n")

    assert backup is None
    assert path.read_text() == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_atomically_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text("old\n")

    assert write_atomically(path, "new\n", backup=False) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.json"]


def test_write_atomically_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    path.write_text("old\n")

    write_atomically(path, "new\n")

    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2
    assert names[0] == "ca.json"
    assert names[1].startswith("ca.json.bak-")


def test_write_atomically_failure_keeps_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ca.json"
    path.write_text("old\n")

    def fail_replace(source: object, destination: object, **folders: object) -> None:
        raise OSError("simulated failure")

    monkeypatch.setattr(os, "rename", fail_replace)
    with pytest.raises(OSError, match="simulated failure"):
        write_atomically(path, "new\n", backup=False)

    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.json"]


def test_write_atomically_refuses_symlink(tmp_path: Path) -> None:
    """A link planted by the service user is never written through."""
    real = tmp_path / "real.json"
    real.write_text("old\n")
    link = tmp_path / "ca.json"
    link.symlink_to(real)

    with pytest.raises(CaConfigError, match="not a regular file"):
        write_atomically(link, "new\n", backup=False)

    assert link.is_symlink()
    assert real.read_text() == "old\n"


def test_load_refuses_symlink(tmp_path: Path) -> None:
    """Reading ca.json through a link could show a root-only file in the diff."""
    real = tmp_path / "secret.json"
    real.write_text("{}")
    (tmp_path / "ca.json").symlink_to(real)
    with pytest.raises(StepError, match="symbolic link"):
        load_ca_config(tmp_path / "ca.json")


def test_full_cycle_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "ca.json"
    original_text = json.dumps(make_ca_json(BADGER_DB), indent="\t")
    path.write_text(original_text)
    os.chmod(path, 0o644)

    hardened_text = dumps_ca_config(harden(load_ca_config(path), enable_admin=True))
    backup = write_atomically(path, hardened_text)

    assert backup is not None
    assert backup.read_text() == original_text
    reloaded = load_ca_config(path)
    assert dumps_ca_config(reloaded) == hardened_text
    assert (
        ca_config_to_dict(reloaded)["authority"]["provisioners"]
        == (make_ca_json(BADGER_DB)["authority"]["provisioners"])
    )
