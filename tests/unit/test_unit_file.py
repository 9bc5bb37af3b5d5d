"""Tests for the rendered step-ca systemd unit."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from stepwizard.unit import UnitError, exec_start_argv, render_unit

STEPPATH = Path("/etc/step-ca")
PASSWORD_FILE = Path("/etc/step-ca/password.txt")
DB_DIR = Path("/etc/step-ca/db")

# Directives a step-ca unit could use, by section. systemd-analyze verify of systemd 252
# (Debian bookworm) reports none of them as an unknown key.
VALID_DIRECTIVES: dict[str, set[str]] = {
    "Unit": {
        "Description",
        "Documentation",
        "Wants",
        "Requires",
        "Requisite",
        "BindsTo",
        "PartOf",
        "Upholds",
        "Conflicts",
        "Before",
        "After",
        "OnFailure",
        "OnSuccess",
        "StartLimitIntervalSec",
        "StartLimitBurst",
        "StartLimitAction",
        "ConditionPathExists",
        "ConditionFileNotEmpty",
        "ConditionPathIsDirectory",
        "AssertPathExists",
        "AssertFileNotEmpty",
        "DefaultDependencies",
    },
    "Service": {
        "Type",
        "User",
        "Group",
        "SupplementaryGroups",
        "DynamicUser",
        "Environment",
        "EnvironmentFile",
        "WorkingDirectory",
        "ExecStartPre",
        "ExecStart",
        "ExecStartPost",
        "ExecReload",
        "ExecStop",
        "Restart",
        "RestartSec",
        "TimeoutStartSec",
        "TimeoutStopSec",
        "TimeoutSec",
        "KillMode",
        "KillSignal",
        "UMask",
        "LimitNOFILE",
        "AmbientCapabilities",
        "CapabilityBoundingSet",
        "SecureBits",
        "NoNewPrivileges",
        "ProtectSystem",
        "ProtectHome",
        "PrivateTmp",
        "PrivateDevices",
        "PrivateNetwork",
        "PrivateUsers",
        "ProtectClock",
        "ProtectControlGroups",
        "ProtectKernelTunables",
        "ProtectKernelLogs",
        "ProtectKernelModules",
        "ProtectHostname",
        "ProtectProc",
        "ProcSubset",
        "RestrictNamespaces",
        "RestrictAddressFamilies",
        "RestrictSUIDSGID",
        "RestrictRealtime",
        "RemoveIPC",
        "LockPersonality",
        "MemoryDenyWriteExecute",
        "SystemCallFilter",
        "SystemCallArchitectures",
        "SystemCallErrorNumber",
        "ReadWritePaths",
        "ReadOnlyPaths",
        "InaccessiblePaths",
        "StateDirectory",
        "DevicePolicy",
        "DeviceAllow",
    },
    "Install": {"WantedBy", "RequiredBy", "Alias", "Also"},
}

REQUIRED_DIRECTIVES: dict[str, set[str]] = {
    "Unit": {
        "Description",
        "Documentation",
        "After",
        "Wants",
        "StartLimitIntervalSec",
        "StartLimitBurst",
        "ConditionFileNotEmpty",
    },
    "Service": {
        "Type",
        "User",
        "Group",
        "Environment",
        "WorkingDirectory",
        "ExecStart",
        "ExecReload",
        "Restart",
        "RestartSec",
        "TimeoutStopSec",
        "CapabilityBoundingSet",
        "SecureBits",
        "NoNewPrivileges",
        "ProtectSystem",
        "ProtectHome",
        "PrivateTmp",
        "PrivateDevices",
        "ProtectClock",
        "ProtectControlGroups",
        "ProtectKernelTunables",
        "ProtectKernelLogs",
        "ProtectKernelModules",
        "RestrictNamespaces",
        "RestrictAddressFamilies",
        "SystemCallFilter",
        "MemoryDenyWriteExecute",
        "LockPersonality",
        "ReadWritePaths",
    },
    "Install": {"WantedBy"},
}


def render(
    port: int = 443,
    *,
    user: str = "step",
    binary: str = "/usr/bin/step-ca",
    db_dir: Path | None = DB_DIR,
) -> str:
    return render_unit(
        steppath=STEPPATH,
        user=user,
        group=user,
        password_file=PASSWORD_FILE,
        port=port,
        step_ca_binary=binary,
        db_dir=db_dir,
    )


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """Split unit text into sections of (key, value) pairs, in order, without comments."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in text.splitlines():
        if not line.strip() or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"directive outside a section: {line!r}"
        key, separator, value = line.partition("=")
        assert separator == "=", f"line without '=': {line!r}"
        current.append((key, value))
    return sections


def values_of(text: str, section: str, key: str) -> list[str]:
    return [value for name, value in parse_unit(text)[section] if name == key]


def test_unit_has_three_sections() -> None:
    assert list(parse_unit(render())) == ["Unit", "Service", "Install"]


def test_unit_header_comment() -> None:
    first_line = render().splitlines()[0]

    assert first_line.startswith("#")
    assert "stepwizard" in first_line


@pytest.mark.parametrize("port", [443, 8443])
def test_unit_directives_are_known(port: int) -> None:
    for section, directives in parse_unit(render(port)).items():
        for key, _value in directives:
            assert key in VALID_DIRECTIVES[section], f"[{section}] {key}"


def test_unit_required_directives_present() -> None:
    sections = parse_unit(render())

    for section, required in REQUIRED_DIRECTIVES.items():
        present = {key for key, _value in sections[section]}
        missing = required - present
        assert not missing, f"[{section}] lacks {sorted(missing)}"


def test_unit_values() -> None:
    text = render()

    assert values_of(text, "Service", "User") == ["step"]
    assert values_of(text, "Service", "Group") == ["step"]
    assert values_of(text, "Service", "Environment") == ["STEPPATH=/etc/step-ca"]
    assert values_of(text, "Service", "WorkingDirectory") == ["/etc/step-ca"]
    assert values_of(text, "Service", "ExecReload") == ["/bin/kill --signal HUP $MAINPID"]
    assert values_of(text, "Service", "Restart") == ["on-failure"]
    assert values_of(text, "Service", "NoNewPrivileges") == ["yes"]
    assert values_of(text, "Service", "ProtectSystem") == ["full"]
    assert values_of(text, "Service", "RestrictAddressFamilies") == ["AF_UNIX AF_INET AF_INET6"]
    assert values_of(text, "Service", "SystemCallFilter") == ["@system-service"]
    assert values_of(text, "Service", "ReadWritePaths") == ["/etc/step-ca/db"]
    assert values_of(text, "Unit", "Wants") == ["network-online.target"]
    assert values_of(text, "Unit", "After") == ["network-online.target"]
    assert values_of(text, "Install", "WantedBy") == ["multi-user.target"]


def test_unit_conditions_on_config_and_password() -> None:
    conditions = values_of(render(), "Unit", "ConditionFileNotEmpty")

    assert conditions == ["/etc/step-ca/config/ca.json", "/etc/step-ca/password.txt"]


def test_unit_privileged_port_capabilities() -> None:
    text = render(443)

    assert values_of(text, "Service", "AmbientCapabilities") == ["CAP_NET_BIND_SERVICE"]
    assert values_of(text, "Service", "CapabilityBoundingSet") == ["CAP_NET_BIND_SERVICE"]


@pytest.mark.parametrize("port", [1024, 8443, 9000])
def test_unit_high_port_drops_capabilities(port: int) -> None:
    text = render(port)

    assert values_of(text, "Service", "AmbientCapabilities") == []
    assert values_of(text, "Service", "CapabilityBoundingSet") == [""]


def test_unit_port_1023_is_privileged() -> None:
    text = render(1023)

    assert values_of(text, "Service", "AmbientCapabilities") == ["CAP_NET_BIND_SERVICE"]


def test_unit_without_database() -> None:
    assert values_of(render(db_dir=None), "Service", "ReadWritePaths") == []


def test_unit_is_deterministic() -> None:
    assert render() == render()


def test_exec_start_argv() -> None:
    argv = exec_start_argv(steppath=STEPPATH, password_file=PASSWORD_FILE)

    assert argv == [
        "/usr/bin/step-ca",
        "/etc/step-ca/config/ca.json",
        "--password-file",
        "/etc/step-ca/password.txt",
    ]


def test_exec_start_matches_argv() -> None:
    argv = exec_start_argv(
        steppath=STEPPATH, password_file=PASSWORD_FILE, step_ca_binary="/opt/step/bin/step-ca"
    )

    exec_start = values_of(render(binary="/opt/step/bin/step-ca"), "Service", "ExecStart")

    assert len(exec_start) == 1
    assert shlex.split(exec_start[0]) == argv


@pytest.mark.parametrize(
    "steppath",
    [Path("etc/step-ca"), Path("/etc/step ca"), Path("/etc/step%ca"), Path("/etc/$HOME")],
)
def test_unit_rejects_unsafe_steppath(steppath: Path) -> None:
    with pytest.raises(UnitError, match=str(steppath).replace("$", r"\$")):
        render_unit(
            steppath=steppath,
            user="step",
            group="step",
            password_file=PASSWORD_FILE,
            port=443,
            db_dir=DB_DIR,
        )


def test_unit_rejects_relative_password_file() -> None:
    with pytest.raises(UnitError, match=r"password\.txt"):
        exec_start_argv(steppath=STEPPATH, password_file=Path("password.txt"))


@pytest.mark.parametrize("user", ["", "Step", "step user", "9step", "step$", "x" * 33])
def test_unit_rejects_bad_user(user: str) -> None:
    with pytest.raises(UnitError, match="user"):
        render(user=user)


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_unit_rejects_bad_port(port: int) -> None:
    with pytest.raises(UnitError, match=str(port)):
        render(port)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is missing")
@pytest.mark.parametrize("port", [443, 9000])
def test_unit_passes_systemd_analyze_verify(tmp_path: Path, port: int) -> None:
    fake_binary = tmp_path / "step-ca"
    fake_binary.write_text("#!/bin/sh\nexit 0\n")
    fake_binary.chmod(0o755)
    unit_path = tmp_path / "step-ca.service"
    # root exists on every host; systemd-analyze may complain about a user it cannot find.
    unit_path.write_text(render(port, user="root", binary=str(fake_binary)))

    completed = subprocess.run(
        ["systemd-analyze", "verify", str(unit_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    # verify exits 0 even on unknown keys and bad values, so any line about the unit fails.
    output = completed.stdout + completed.stderr
    complaints = [line for line in output.splitlines() if "step-ca" in line]
    assert complaints == []
    assert completed.returncode == 0, output
