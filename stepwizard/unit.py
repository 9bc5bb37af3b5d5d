"""The systemd service unit that runs step-ca as an unprivileged user in a sandbox.

The directives follow smallstep's own ``systemd/step-ca.service`` (smallstep/certificates),
which needs systemd 245 or newer, with absolute paths in place of paths relative to the
working directory. The capability to bind a port below 1024 is granted only when the CA
listens on one.
"""

from __future__ import annotations

import re
from pathlib import Path

from stepwizard.i18n import N_, _

UNIT_NAME = "step-ca.service"
DEFAULT_STEP_CA_BINARY = "/usr/bin/step-ca"

# Ports below this number need CAP_NET_BIND_SERVICE (Linux's ip_unprivileged_port_start
# defaults to 1024).
FIRST_UNPRIVILEGED_PORT = 1024

# systemd expands % specifiers and $ variables and splits on whitespace and quotes in these
# settings, so systemd would change a path that contains any of these characters.
_UNSAFE_PATH_CHARACTERS = re.compile(r"[\s%$\"'\\;]|[\x00-\x1f\x7f]")
# Lower-case names as useradd and adduser create them, without the trailing '$' of machine
# accounts, which systemd would read as a variable.
_USER_OR_GROUP_NAME = re.compile(r"[a-z_][-a-z0-9_]{0,31}")


class UnitError(ValueError):
    """Value that cannot be written safely into the unit file; the message names it."""


def ca_json_path(steppath: Path) -> Path:
    """Return where step ca init writes ca.json under ``steppath``."""
    return steppath / "config" / "ca.json"


def exec_start_argv(
    *, steppath: Path, password_file: Path, step_ca_binary: str = DEFAULT_STEP_CA_BINARY
) -> list[str]:
    """Return the unit's ExecStart command as an argument list, to run step-ca the same way.

    Raises UnitError when a path is relative or contains characters that systemd would
    interpret.
    """
    binary = _checked_path(Path(step_ca_binary), N_("step-ca binary"))
    config = _checked_path(ca_json_path(steppath), "ca.json")
    password = _checked_path(password_file, N_("password file"))
    return [str(binary), str(config), "--password-file", str(password)]


def render_unit(
    *,
    steppath: Path,
    user: str,
    group: str,
    password_file: Path,
    port: int,
    step_ca_binary: str = DEFAULT_STEP_CA_BINARY,
    db_dir: Path | None,
) -> str:
    """Return the text of the step-ca service unit; the same input gives the same text.

    ``port`` is the port from ca.json's ``address``; below 1024 the service gets
    CAP_NET_BIND_SERVICE, otherwise no capability at all. ``db_dir`` is the directory
    that contains the database (the dataSource of a Badger database, the parent of a bbolt
    file) and is made writable despite ProtectSystem=full; None, for a CA without a
    database, adds no writable path.
    Raises UnitError on a relative or unsafe path, an invalid user or group name, or a
    port outside 1-65535.
    """
    # NOTE: systemd refuses to start the unit when db_dir does not exist, because
    # ReadWritePaths= needs the directory for its bind mount, so the caller creates it.
    argv = exec_start_argv(
        steppath=steppath, password_file=password_file, step_ca_binary=step_ca_binary
    )
    checked_steppath = _checked_path(steppath, "STEPPATH")
    config_path = argv[1]
    password_path = argv[3]
    _check_name(user, N_("user"))
    _check_name(group, N_("group"))
    if not 1 <= port <= 65535:
        raise UnitError(_("The port {port} is not between 1 and 65535.").format(port=port))

    sections = [
        _unit_section(config_path, password_path),
        _service_section(checked_steppath, user, group, argv),
        _privileges_section(port),
        _sandbox_section(db_dir),
        "[Install]\nWantedBy=multi-user.target\n",
    ]
    header = (
        "# step-ca service, written by stepwizard.\n"
        "# To change a setting, add a drop-in with: systemctl edit step-ca\n"
    )
    return header + "\n".join(sections)


def _unit_section(config_path: str, password_path: str) -> str:
    return (
        "[Unit]\n"
        "Description=step-ca certificate authority\n"
        "Documentation=https://smallstep.com/docs/step-ca\n"
        "Documentation=https://smallstep.com/docs/step-ca/certificate-authority-server-production\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "StartLimitIntervalSec=30\n"
        "StartLimitBurst=3\n"
        f"ConditionFileNotEmpty={config_path}\n"
        f"ConditionFileNotEmpty={password_path}\n"
    )


def _service_section(steppath: Path, user: str, group: str, argv: list[str]) -> str:
    return (
        "[Service]\n"
        "Type=simple\n"
        f"User={user}\n"
        f"Group={group}\n"
        f"Environment=STEPPATH={steppath}\n"
        f"WorkingDirectory={steppath}\n"
        f"ExecStart={' '.join(argv)}\n"
        # step-ca reloads ca.json on SIGHUP, except for a changed db block.
        "ExecReload=/bin/kill --signal HUP $MAINPID\n"
        "Restart=on-failure\n"
        "RestartSec=5\n"
        "TimeoutStopSec=30\n"
    )


def _privileges_section(port: int) -> str:
    lines = ["# Capabilities and privileges"]
    if port < FIRST_UNPRIVILEGED_PORT:
        lines += [
            "AmbientCapabilities=CAP_NET_BIND_SERVICE",
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        ]
    else:
        # An empty bounding set drops every capability.
        lines.append("CapabilityBoundingSet=")
    lines += ["SecureBits=keep-caps", "NoNewPrivileges=yes"]
    return "\n".join(lines) + "\n"


def _sandbox_section(db_dir: Path | None) -> str:
    lines = [
        # smallstep notes that this sandbox still lets a YubiKey work through pcscd, but is
        # probably too strict for PKCS#11 hardware security modules.
        "# Sandboxing",
        "ProtectSystem=full",
        "ProtectHome=true",
        "PrivateTmp=true",
        "PrivateDevices=true",
        "ProtectClock=true",
        "ProtectControlGroups=true",
        "ProtectKernelTunables=true",
        "ProtectKernelLogs=true",
        "ProtectKernelModules=true",
        "RestrictNamespaces=true",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "RestrictSUIDSGID=true",
        "RestrictRealtime=true",
        "RemoveIPC=true",
        "LockPersonality=true",
        "MemoryDenyWriteExecute=true",
        "SystemCallFilter=@system-service",
        "SystemCallArchitectures=native",
    ]
    if db_dir is not None:
        database_path = _checked_path(db_dir, N_("database directory"))
        lines.append(f"ReadWritePaths={database_path}")
    return "\n".join(lines) + "\n"


def _checked_path(path: Path, role: str) -> Path:
    """Return ``path`` when it is absolute and safe to write into a unit file, else raise."""
    text = str(path)
    if not path.is_absolute():
        raise UnitError(
            _("The {role} path {path!r} must be absolute, for example /etc/step-ca.").format(
                role=_(role), path=text
            )
        )
    if _UNSAFE_PATH_CHARACTERS.search(text):
        raise UnitError(
            _(
                "The {role} path {path!r} contains whitespace, a quote, a backslash, ';', "
                "'%', '$' or a control character, which systemd would interpret. "
                "Choose a path without them."
            ).format(role=_(role), path=text)
        )
    return path


def _check_name(name: str, role: str) -> None:
    if not _USER_OR_GROUP_NAME.fullmatch(name):
        raise UnitError(
            _(
                "The {role} name {name!r} is invalid: use lower-case letters, digits, '_' "
                "and '-', starting with a letter or '_', at most 32 characters."
            ).format(role=_(role), name=name)
        )
