"""Step 9: prove the CA serves ACME and record the root fingerprint for the operator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stepwizard.ca_client import check_ca
from stepwizard.context import Context
from stepwizard.fingerprint import root_fingerprint
from stepwizard.i18n import N_, _
from stepwizard.plan import Plan
from stepwizard.stepcli import run_step_cli
from stepwizard.steps.base import Step, StepError


@dataclass(frozen=True)
class CaSummary:
    """Facts the operator records and clients need; none of them is secret."""

    ca_url: str
    acme_directory_url: str
    root_fingerprint: str
    admin_provisioner: str
    admin_subject: str
    password_file: str
    provisioner_password_file: str
    log_file: str

    @property
    def bootstrap_command(self) -> str:
        """Return the command a client runs to fetch and pin this CA's root."""
        return (f"step ca bootstrap --ca-url {self.ca_url} "
                f"--fingerprint {self.root_fingerprint}")


def build_summary(ctx: Context, *, read_host: bool = True) -> CaSummary:
    """Collect the summary; the fingerprint is computed from the root certificate itself.

    With ``read_host`` false (a dry run) nothing on this host is read, so the fingerprint
    stays empty.
    """
    answers = ctx.answers
    path = Path(answers.root_cert_path)
    fingerprint = ""
    if read_host:
        fingerprint = root_fingerprint(path.read_bytes()) if path.exists() else (
            ctx.state.fact("root_fingerprint") or "")
    return CaSummary(
        ca_url=answers.ca_url, acme_directory_url=answers.acme_directory_url,
        root_fingerprint=fingerprint, admin_provisioner=answers.admin_provisioner,
        admin_subject=answers.admin_subject if answers.remote_management else "",
        password_file=str(answers.ca_password_path),
        provisioner_password_file=str(answers.provisioner_password_path),
        log_file=str(ctx.log_file or ""))


class Summary(Step):
    """Checks the ACME directory and the root fingerprint, then shows what to record."""

    id = "summary"
    title = N_("Summary")
    summary = N_("Check that the ACME directory answers, check the root fingerprint, and show "
                 "what clients need.")

    def plan(self, ctx: Context) -> Plan:
        """List the verifications."""
        answers = ctx.answers
        plan = Plan()
        plan.command(ctx.step_binary, "ca", "health", user=answers.service_user,
                     env=ctx.step_env())
        plan.check(_("GET {url} answers 200").format(url=answers.acme_directory_url))
        plan.check(_("the root fingerprint equals the SHA-256 of {path}").format(
            path=answers.root_cert_path))
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether the ACME directory answers and the fingerprint matches, right now."""
        return not self._problems(ctx)

    def apply(self, ctx: Context) -> None:
        """Run the verifications and raise StepError naming the first problem."""
        answers = ctx.answers
        run_step_cli(ctx.runner, [ctx.step_binary, "ca", "health", "--ca-url", answers.ca_url,
                                  "--root", str(answers.root_cert_path)],
                     user=answers.service_user, env=ctx.step_env(), timeout=60, check=False)
        problems = self._problems(ctx)
        if problems:
            raise StepError("\n".join(problems))
        summary = build_summary(ctx)
        ctx.say(_("ACME directory: {url} answers 200").format(url=summary.acme_directory_url))
        ctx.say(_("root fingerprint: {fp}").format(fp=summary.root_fingerprint))

    def _problems(self, ctx: Context) -> list[str]:
        """Return what keeps the CA from being verified; empty when all is well."""
        answers = ctx.answers
        problems: list[str] = []
        status = check_ca(ctx)
        if status.acme_status is None:
            problems.append(_("step-ca does not answer at {url} ({error}): start it with "
                              "'systemctl start step-ca' and read 'journalctl -u step-ca'")
                            .format(url=answers.ca_url, error=status.error))
        elif status.acme_status != 200:
            problems.append(_("the ACME directory {url} answered {status} instead of 200: check "
                              "the ACME provisioner name and 'journalctl -u step-ca'").format(
                                  url=answers.acme_directory_url, status=status.acme_status))
        path = Path(answers.root_cert_path)
        recorded = ctx.state.fact("root_fingerprint")
        if path.exists() and recorded and root_fingerprint(path.read_bytes()) != recorded:
            problems.append(_("the root certificate {path} no longer matches the fingerprint "
                              "{fp} recorded at init").format(path=path, fp=recorded))
        return problems
