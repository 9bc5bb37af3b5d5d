"""Step 8: the lifetimes of certificates issued over ACME."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from stepwizard import caconfig
from stepwizard.ca_client import (
    admin_flags,
    admin_prompts,
    find_acme,
    list_provisioners,
    require_running,
)
from stepwizard.context import Context
from stepwizard.durations import DurationError, parse_go_duration
from stepwizard.i18n import N_, _
from stepwizard.plan import Plan
from stepwizard.stepcli import run_step_cli
from stepwizard.steps.acme import RELOAD_ARGV, reload_ca
from stepwizard.steps.base import Step, StepError

CLAIM_KEYS = ("minTLSCertDuration", "defaultTLSCertDuration", "maxTLSCertDuration")


def wanted_claims(ctx: Context) -> tuple[timedelta, timedelta, timedelta]:
    """Return the configured min, default and max durations."""
    answers = ctx.answers
    return (parse_go_duration(answers.acme_min_duration),
            parse_go_duration(answers.acme_default_duration),
            parse_go_duration(answers.acme_max_duration))


def current_claims(provisioner: dict[str, Any]) -> tuple[timedelta | None, ...]:
    """Return the provisioner's x509 claims as durations (None where unset or unreadable)."""
    claims = provisioner.get("claims") or {}
    values: list[timedelta | None] = []
    for key in CLAIM_KEYS:
        try:
            values.append(parse_go_duration(str(claims[key])))
        except (KeyError, DurationError):
            values.append(None)
    return tuple(values)


def update_argv(ctx: Context) -> list[str]:
    """Return the ``step ca provisioner update`` command with the three duration flags."""
    answers = ctx.answers
    return [ctx.step_binary, "ca", "provisioner", "update", answers.acme_provisioner,
            "--x509-min-dur", answers.acme_min_duration,
            "--x509-default-dur", answers.acme_default_duration,
            "--x509-max-dur", answers.acme_max_duration, *admin_flags(ctx)]


class Durations(Step):
    """Sets min, default and max x509 durations on the ACME provisioner."""

    id = "durations"
    title = N_("Certificate durations")
    summary = N_("Set how long ACME certificates live: the default lifetime and the allowed "
                 "minimum and maximum.")

    def plan(self, ctx: Context) -> Plan:
        """List the update command (admin API) or the ca.json change."""
        answers = ctx.answers
        plan = Plan()
        plan.notes.append(_("ACME certificates: minimum {min}, default {default}, maximum {max}")
                          .format(min=answers.acme_min_duration,
                                  default=answers.acme_default_duration,
                                  max=answers.acme_max_duration))
        if answers.remote_management:
            plan.command(*update_argv(ctx), user=answers.service_user, env=ctx.step_env())
        else:
            plan.write(answers.ca_json_path, None, owner=answers.service_user,
                       group=answers.service_user,
                       purpose=_("claims of the ACME provisioner, then reload step-ca"))
            plan.command(*RELOAD_ARGV)
        plan.command(ctx.step_binary, "ca", "provisioner", "list", user=answers.service_user,
                     env=ctx.step_env(), purpose=_("read the change back"))
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether the running CA already applies the configured durations."""
        try:
            provisioner = find_acme(list_provisioners(ctx), ctx.answers.acme_provisioner)
        except Exception:
            return False
        return provisioner is not None and current_claims(provisioner) == wanted_claims(ctx)

    def apply(self, ctx: Context) -> None:
        """Apply the durations, then read them back from the CA."""
        require_running(ctx)
        answers = ctx.answers
        if answers.remote_management:
            run_step_cli(ctx.runner, update_argv(ctx), user=answers.service_user,
                         env=ctx.step_env(), timeout=120, prompts=admin_prompts(ctx),
                         hint=_("updating the ACME provisioner through the admin API failed"))
        else:
            path = Path(answers.ca_json_path)
            config = caconfig.set_provisioner_claims(
                caconfig.load_ca_config(path), answers.acme_provisioner,
                answers.acme_min_duration, answers.acme_default_duration,
                answers.acme_max_duration)
            caconfig.write_atomically(path, caconfig.dumps_ca_config(config), backup=True)
            reload_ca(ctx)
        provisioner = find_acme(list_provisioners(ctx), answers.acme_provisioner)
        if provisioner is None or current_claims(provisioner) != wanted_claims(ctx):
            raise StepError(_("the CA does not report the requested durations for {name} "
                              "after the update: read 'journalctl -u step-ca'").format(
                                  name=answers.acme_provisioner))
        ctx.say(_("durations applied: minimum {min}, default {default}, maximum {max}").format(
            min=answers.acme_min_duration, default=answers.acme_default_duration,
            max=answers.acme_max_duration))
