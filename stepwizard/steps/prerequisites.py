"""Step 1: check that this host can run the CA, and install the tools the setup uses."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from stepwizard.answers import split_address
from stepwizard.context import Context
from stepwizard.i18n import N_, _
from stepwizard.plan import Plan
from stepwizard.steps.base import Step, StepError

# Debian packages of the tools the manual procedure relies on, keyed by the program checked.
TOOLS = {"curl": "curl", "gpg": "gpg", "jq": "jq", "openssl": "openssl"}
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
MIN_DEBIAN = 12
MIN_SYSTEMD = 245
# step-ca, its database and logs need little room; below this the setup may fail half-way.
MIN_FREE_MIB = 200
# Certificates issued before the clock is right are not valid yet for clients.
EARLIEST_SANE_YEAR = 2025


@dataclass
class Findings:
    """Result of the read-only checks: blocking errors, warnings and packages to install."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_packages: list[str] = field(default_factory=list)


def debian_major(os_release: Path = Path("/etc/os-release"),
                 debian_version: Path = Path("/etc/debian_version")) -> int | None:
    """Return Debian's major version, or None when this is not Debian."""
    try:
        text = os_release.read_text()
    except OSError:
        return None
    if not re.search(r"^ID=\"?debian\"?$", text, re.MULTILINE):
        return None
    found = re.search(r"^VERSION_ID=\"?(\d+)", text, re.MULTILINE)
    if found:
        return int(found.group(1))
    try:
        # testing and sid have no VERSION_ID; their debian_version reads like "trixie/sid".
        value = debian_version.read_text().strip()
    except OSError:
        return None
    return int(value.split(".")[0]) if value[:1].isdigit() else 99


def systemd_version() -> int | None:
    """Return the running systemd's version, or None when systemctl is missing."""
    try:
        output = subprocess.run(["systemctl", "--version"], capture_output=True, text=True,
                                check=False, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.match(r"systemd (\d+)", output)
    return int(found.group(1)) if found else None


def service_active(name: str = "step-ca") -> bool:
    """Tell whether a systemd service is active."""
    try:
        return subprocess.run(["systemctl", "is-active", "--quiet", name], check=False,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def port_in_use(host: str, port: int) -> bool:
    """Tell whether something already accepts connections on ``host:port``."""
    target = host or "127.0.0.1"
    try:
        with socket.create_connection((target, port), timeout=1):
            return True
    except OSError:
        return False


def resolves(name: str) -> bool:
    """Tell whether ``name`` resolves on this host."""
    try:
        socket.getaddrinfo(name, None)
    except (OSError, UnicodeError):
        return False
    return True


def inspect_host(ctx: Context) -> Findings:
    """Run every read-only check and collect what blocks, what warns and what to install."""
    found = Findings()
    answers = ctx.answers
    version = debian_major()
    if version is None:
        found.errors.append(_("this host is not Debian: stepwizard supports Debian 12 or newer"))
    elif version < MIN_DEBIAN:
        found.errors.append(_("Debian {version} is too old: upgrade to Debian 12 or newer")
                            .format(version=version))
    if os.geteuid() != 0:
        found.errors.append(_("not running as root: start stepwizard with sudo"))
    systemd = systemd_version()
    if systemd is None or systemd < MIN_SYSTEMD:
        found.errors.append(
            _("systemd {version} found, 245 or newer is needed for the hardened unit; this host "
              "must boot with systemd (a VM, or an LXC container with systemd inside)").format(
                version=systemd or _("not")))
    found.missing_packages = [package for tool, package in TOOLS.items()
                              if shutil.which(tool) is None]
    if not CA_BUNDLE.exists():
        found.missing_packages.append("ca-certificates")
    usage = shutil.disk_usage(Path("/var") if Path("/var").exists() else Path("/"))
    if usage.free < MIN_FREE_MIB * 1024 * 1024:
        found.errors.append(_("only {free} MiB free on /var, {need} MiB are needed: free some "
                              "space").format(free=usage.free // 2**20, need=MIN_FREE_MIB))
    host, port = split_address(answers.address)
    if port_in_use(host, port) and not service_active():
        found.errors.append(
            _("port {port} is already in use by another program: stop it, or choose another "
              "bind address").format(port=port))
    for name in answers.dns_names:
        if not resolves(name):
            found.warnings.append(
                _("{name} does not resolve on this host: clients will need a DNS record for it")
                .format(name=name))
    if time.gmtime().tm_year < EARLIEST_SANE_YEAR:
        found.errors.append(_("the system clock reads {now}: set the time (for example with "
                              "systemd-timesyncd) before creating certificates").format(
                                  now=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    return found


class Prerequisites(Step):
    """Checks the host and installs curl, gpg, jq, openssl and ca-certificates when missing."""

    id = "prerequisites"
    title = N_("Prerequisites")
    summary = N_("Check Debian, root, systemd, disk space, the port, DNS and the clock; "
                 "install the tools the setup uses.")

    def plan(self, ctx: Context) -> Plan:
        """List the checks and the package installation."""
        plan = Plan()
        plan.check(_("Debian 12 or newer, running as root, systemd 245 or newer"))
        plan.check(_("at least {need} MiB free on /var; port {port} free; DNS names resolve; "
                     "clock set").format(need=MIN_FREE_MIB, port=ctx.answers.port))
        packages = sorted({*TOOLS.values(), "ca-certificates"})
        plan.command("apt-get", "install", "-y", "--no-install-recommends", *packages,
                     purpose=_("only the packages that are missing"))
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether every check passes and no tool is missing."""
        found = inspect_host(ctx)
        return not found.errors and not found.missing_packages

    def apply(self, ctx: Context) -> None:
        """Report warnings, stop on blocking problems, then install missing packages."""
        found = inspect_host(ctx)
        for warning in found.warnings:
            ctx.say(_("warning: {warning}").format(warning=warning))
        if found.errors:
            raise StepError("\n".join(found.errors))
        if found.missing_packages:
            ctx.runner.run(["apt-get", "update"], timeout=600)
            ctx.runner.run(["apt-get", "install", "-y", "--no-install-recommends",
                            *found.missing_packages], timeout=900)
        ctx.say(_("all prerequisites are met"))
