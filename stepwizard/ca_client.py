"""Talks to the running CA: health, ACME directory, and provisioners through the step CLI."""

from __future__ import annotations

import json
import re
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepwizard import safefs
from stepwizard.answers import split_address
from stepwizard.context import Context
from stepwizard.errors import StepError
from stepwizard.i18n import _
from stepwizard.probe import https_get
from stepwizard.secrets import REDACTOR, Secret
from stepwizard.stepcli import Prompt, run_step_cli


def connect_host(ctx: Context) -> str:
    """Return the address this host reaches the CA on: its bind host, or loopback."""
    host, _port = split_address(ctx.answers.address)
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


@dataclass(frozen=True)
class CaStatus:
    """What the CA answered: health, ACME directory status, and any error text."""

    healthy: bool
    acme_status: int | None
    error: str = ""


def check_ca(ctx: Context) -> CaStatus:
    """Ask the CA for /health and the ACME directory, trusting only its own root."""
    answers = ctx.answers
    cafile = str(answers.root_cert_path)
    try:
        health = https_get(answers.ca_url + "/health", cafile=cafile,
                           connect_host=connect_host(ctx))
        healthy = health.status == 200 and '"ok"' in health.body
        directory = https_get(answers.acme_directory_url, cafile=cafile,
                              connect_host=connect_host(ctx))
    except (OSError, ssl.SSLError) as error:
        return CaStatus(False, None, str(error))
    return CaStatus(healthy, directory.status)


def wait_for_ca(ctx: Context, *, need_acme: bool) -> CaStatus:
    """Poll the CA until it is healthy (and serves ACME when asked) or the timeout passes."""
    deadline = time.monotonic() + ctx.start_timeout
    status = check_ca(ctx)
    while time.monotonic() < deadline:
        if status.healthy and (status.acme_status == 200 or not need_acme):
            return status
        time.sleep(1)
        status = check_ca(ctx)
    return status


def admin_flags(ctx: Context) -> list[str]:
    """Return the flags that authenticate step to the admin API without any prompt."""
    answers = ctx.answers
    return ["--admin-subject", answers.admin_subject,
            "--admin-provisioner", answers.admin_provisioner,
            "--admin-password-file", str(answers.provisioner_password_path)]


def admin_prompts(ctx: Context) -> list[Prompt]:
    """Prompts step may still show for admin commands, answered from the answers and files.

    step asks for the admin password again, with no error text, when the one it was given is
    wrong; the second prompt therefore fails the command instead of being answered.
    """
    answers = ctx.answers

    def password(_match: re.Match[str]) -> str:
        path = Path(answers.provisioner_password_path)
        secret = Secret(safefs.read_text(path).rstrip())
        REDACTOR.register(secret)
        return secret.reveal() + "\r"

    return [
        Prompt(r"Please enter admin name/subject", lambda _m: answers.admin_subject + "\r",
               _("admin subject")),
        Prompt(r"Please enter the password to decrypt the provisioner key", password,
               _("admin provisioner password (wrong password in {path}?)").format(
                   path=answers.provisioner_password_path), once=True),
    ]


def list_provisioners(ctx: Context) -> list[dict[str, Any]]:
    """Return the provisioners the running CA serves, as ``step ca provisioner list`` prints."""
    result = run_step_cli(ctx.runner, [ctx.step_binary, "ca", "provisioner", "list"],
                          user=ctx.answers.service_user, env=ctx.step_env(), timeout=60,
                          quiet=True)
    text = result.output
    start = text.find("[")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except ValueError:
        data = None
    if not isinstance(data, list):
        raise StepError(_("step ca provisioner list did not print a JSON list: {output}").format(
            output=text[-500:]))
    return [item for item in data if isinstance(item, dict)]


def find_acme(provisioners: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """Return the ACME provisioner called ``name``, or None."""
    for item in provisioners:
        if item.get("name") == name and str(item.get("type", "")).upper() == "ACME":
            return item
    return None


def require_running(ctx: Context) -> None:
    """Raise StepError unless the CA answers its health check within the start timeout."""
    status = wait_for_ca(ctx, need_acme=False)
    if not status.healthy:
        raise StepError(_("step-ca does not answer at {url} ({error}): start the service "
                          "(systemctl start step-ca) and read 'journalctl -u step-ca'").format(
                              url=ctx.answers.ca_url, error=status.error or _("not healthy")))
