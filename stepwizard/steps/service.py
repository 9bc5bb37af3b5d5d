"""Step 6: a hardened systemd unit for step-ca, enabled, started and checked."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path, PurePosixPath

from stepwizard import safefs
from stepwizard.ca_client import check_ca, wait_for_ca
from stepwizard.context import Context
from stepwizard.files import ids_of, write_file
from stepwizard.i18n import N_, _
from stepwizard.plan import Plan
from stepwizard.steps.base import Step, StepError
from stepwizard.unit import render_unit

UNIT_NAME = "step-ca.service"
UNIT_PATH = PurePosixPath("/etc/systemd/system") / UNIT_NAME


def unit_text(ctx: Context) -> str:
    """Return the unit file for these answers."""
    answers = ctx.answers
    return render_unit(steppath=Path(answers.steppath), user=answers.service_user,
                       group=answers.service_user, password_file=Path(answers.ca_password_path),
                       port=answers.port, step_ca_binary=ctx.step_ca_binary,
                       db_dir=Path(answers.steppath) / "db")


def systemctl_ok(*args: str) -> bool:
    """Run a quiet systemctl query and tell whether it succeeded."""
    try:
        return subprocess.run(["systemctl", *args], capture_output=True, check=False,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def fix_ownership(ctx: Context) -> None:
    """Give every file under STEPPATH to the service user, keeping secrets at 0600.

    No symbolic link is followed, also if one is swapped in during the walk: the service
    user can create links in its folders, and following one would hand any file of the
    system to it.
    """
    answers = ctx.answers
    home = Path(answers.steppath)
    uid, gid = ids_of(answers.service_user, answers.service_user)
    # ReadWritePaths= in the unit needs the database folder to exist before the start.
    with safefs.open_folder(home) as folder, contextlib.suppress(FileExistsError):
        os.mkdir("db", 0o700, dir_fd=folder)
    safefs.chown_tree(home, uid, gid)
    for secret in (answers.ca_password_path, answers.provisioner_password_path):
        safefs.set_owner_and_mode(Path(secret), uid=uid, gid=gid, mode=0o600)


class Service(Step):
    """Installs step-ca.service, verifies it, and starts the CA."""

    id = "service"
    title = N_("systemd service")
    summary = N_("Install a sandboxed systemd unit, check it with systemd-analyze, enable and "
                 "start step-ca, and wait until it answers.")

    def plan(self, ctx: Context) -> Plan:
        """List the unit file and the systemctl commands."""
        plan = Plan()
        plan.write(UNIT_PATH, unit_text(ctx), mode=0o644)
        plan.command("systemd-analyze", "verify", str(UNIT_PATH),
                     purpose=_("any output counts as a failure"))
        plan.command("systemctl", "daemon-reload")
        plan.command("systemctl", "enable", "--now", UNIT_NAME)
        plan.check(_("wait until {url}/health answers ok").format(url=ctx.answers.ca_url))
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether the installed unit is current and the CA runs and answers."""
        path = Path(UNIT_PATH)
        if not path.exists() or path.read_text() != unit_text(ctx):
            return False
        if not (systemctl_ok("is-enabled", "--quiet", UNIT_NAME)
                and systemctl_ok("is-active", "--quiet", UNIT_NAME)):
            return False
        return check_ca(ctx).healthy

    def apply(self, ctx: Context) -> None:
        """Write and verify the unit, then (re)start the service and wait for it."""
        fix_ownership(ctx)
        path = Path(UNIT_PATH)
        changed = not path.exists() or path.read_text() != unit_text(ctx)
        saved = write_file(path, unit_text(ctx), mode=0o644)
        if saved is not None:
            ctx.say(_("previous unit saved as {path}").format(path=saved))
        result = ctx.runner.run(["systemd-analyze", "verify", str(path)], check=False)
        # systemd-analyze exits 0 on unknown keys and bad values, so any output is a failure.
        if result.returncode != 0 or result.lines:
            raise StepError(_("systemd-analyze verify rejected {path}:\n{output}").format(
                path=path, output=result.output))
        ctx.runner.run(["systemctl", "daemon-reload"])
        ctx.runner.run(["systemctl", "enable", UNIT_NAME])
        verb = "restart" if changed or not systemctl_ok("is-active", "--quiet", UNIT_NAME) \
            else "reload-or-restart"
        ctx.runner.run(["systemctl", verb, UNIT_NAME])
        status = wait_for_ca(ctx, need_acme=False)
        if not status.healthy:
            journal = ctx.runner.run(["journalctl", "-u", UNIT_NAME, "-n", "30", "--no-pager"],
                                     check=False)
            raise StepError(_("step-ca did not become healthy within {seconds} s ({error}); "
                              "its journal:\n{journal}").format(
                                  seconds=int(ctx.start_timeout), error=status.error,
                                  journal=journal.output))
        ctx.say(_("step-ca is running and healthy at {url}").format(url=ctx.answers.ca_url))

