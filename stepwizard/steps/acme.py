"""Step 7: make sure the ACME provisioner exists in the running CA."""

from __future__ import annotations

import json
from pathlib import Path

from stepwizard import caconfig
from stepwizard.ca_client import (
    admin_flags,
    admin_prompts,
    find_acme,
    list_provisioners,
    require_running,
    wait_for_ca,
)
from stepwizard.context import Context
from stepwizard.i18n import N_, _
from stepwizard.plan import Plan
from stepwizard.stepcli import run_step_cli
from stepwizard.steps.base import Step, StepError

RELOAD_ARGV = ("systemctl", "reload", "step-ca.service")


def reload_ca(ctx: Context) -> None:
    """Make step-ca re-read ca.json (SIGHUP through systemd) and wait until it answers."""
    ctx.runner.run(list(RELOAD_ARGV))
    if not wait_for_ca(ctx, need_acme=False).healthy:
        raise StepError(_("step-ca did not answer after the reload: read "
                          "'journalctl -u step-ca'"))


def add_to_ca_json(path: Path, name: str) -> None:
    """Append an ACME provisioner to ca.json, keeping a backup (CAs without remote management)."""
    data = caconfig.ca_config_to_dict(caconfig.load_ca_config(path))
    data.setdefault("authority", {}).setdefault("provisioners", []).append(
        {"type": "ACME", "name": name})
    config = caconfig.parse_ca_config(json.dumps(data), source=path)
    caconfig.write_atomically(path, caconfig.dumps_ca_config(config), backup=True)


class AcmeProvisioner(Step):
    """Adds the ACME provisioner through the admin API (or ca.json without remote management).

    With remote management step-ca reads provisioners from its database, so an ACME
    provisioner written into ca.json while the CA is stopped would be ignored: it is created
    by ``step ca init --acme`` or here, through the admin API of the running CA.
    """

    id = "acme"
    title = N_("ACME provisioner")
    summary = N_("Make sure the ACME provisioner exists in the running CA, created through "
                 "its admin API.")

    def plan(self, ctx: Context) -> Plan:
        """List the provisioner query and the add command."""
        answers = ctx.answers
        plan = Plan()
        plan.command(ctx.step_binary, "ca", "provisioner", "list", user=answers.service_user,
                     env=ctx.step_env())
        if answers.remote_management:
            plan.command(ctx.step_binary, "ca", "provisioner", "add", answers.acme_provisioner,
                         "--type", "ACME", *admin_flags(ctx), user=answers.service_user,
                         env=ctx.step_env(),
                         purpose=_("only when the CA does not serve it yet"))
        else:
            plan.write(answers.ca_json_path, None, owner=answers.service_user,
                       group=answers.service_user,
                       purpose=_("add the ACME provisioner when missing, then reload step-ca"))
            plan.command(*RELOAD_ARGV)
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether the running CA serves an ACME provisioner with the configured name."""
        try:
            return find_acme(list_provisioners(ctx), ctx.answers.acme_provisioner) is not None
        except Exception:
            return False

    def apply(self, ctx: Context) -> None:
        """Add the provisioner when the CA does not serve it yet, and check the result."""
        require_running(ctx)
        answers = ctx.answers
        if find_acme(list_provisioners(ctx), answers.acme_provisioner) is not None:
            ctx.say(_("the ACME provisioner {name} already exists").format(
                name=answers.acme_provisioner))
            return
        if answers.remote_management:
            run_step_cli(ctx.runner, [ctx.step_binary, "ca", "provisioner", "add",
                                      answers.acme_provisioner, "--type", "ACME",
                                      *admin_flags(ctx)],
                         user=answers.service_user, env=ctx.step_env(), timeout=120,
                         prompts=admin_prompts(ctx),
                         hint=_("adding the ACME provisioner through the admin API failed"))
        else:
            add_to_ca_json(Path(answers.ca_json_path), answers.acme_provisioner)
            reload_ca(ctx)
        if find_acme(list_provisioners(ctx), answers.acme_provisioner) is None:
            raise StepError(_("the CA still does not list the ACME provisioner {name} after "
                              "adding it: read 'journalctl -u step-ca'").format(
                                  name=answers.acme_provisioner))
