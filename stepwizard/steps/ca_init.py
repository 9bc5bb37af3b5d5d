"""Step 4: create the PKI with ``step ca init`` as the service user, under a pseudo-terminal."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from stepwizard import safefs
from stepwizard.context import Context
from stepwizard.files import ids_of, require_real_folder, timestamp, write_file
from stepwizard.fingerprint import parse_step_fingerprint, root_fingerprint
from stepwizard.i18n import N_, _
from stepwizard.interaction import Topic
from stepwizard.plan import Plan
from stepwizard.secrets import REDACTOR, Secret, generate_password
from stepwizard.stepcli import Prompt, run_step_cli
from stepwizard.steps.base import Step, StepError

log = logging.getLogger(__name__)

# Folders step ca init fills under STEPPATH, moved aside together when a PKI is replaced.
PKI_ENTRIES = ("config", "certs", "secrets", "db", "templates")
# step ca init --acme always names its ACME provisioner this way.
STEP_ACME_NAME = "acme"


def init_argv(ctx: Context) -> list[str]:
    """Return the full ``step ca init`` command: every answer by flag, passwords by file."""
    answers = ctx.answers
    argv = [ctx.step_binary, "ca", "init", "--deployment-type", "standalone",
            "--name", answers.ca_name]
    for name in answers.dns_names:
        argv += ["--dns", name]
    argv += ["--address", answers.address, "--provisioner", answers.admin_provisioner,
             "--password-file", str(answers.ca_password_path),
             "--provisioner-password-file", str(answers.provisioner_password_path)]
    if answers.remote_management:
        argv += ["--remote-management", "--admin-subject", answers.admin_subject]
    if answers.acme_provisioner == STEP_ACME_NAME:
        argv.append("--acme")
    return argv


def read_secret_file(path: Path) -> Secret:
    """Read a password file as step does (trailing whitespace trimmed)."""
    try:
        value = safefs.read_text(path).rstrip()
    except UnicodeDecodeError as error:
        raise StepError(_("the password file {path} is not UTF-8 text: write the password "
                          "as plain text").format(path=path)) from error
    except OSError as error:
        raise StepError(_("cannot read the password file {path}: {error}").format(
            path=path, error=error.strerror)) from error
    if not value:
        raise StepError(_("the password file {path} is empty: put the password in it, or "
                          "leave the setting out to generate one").format(path=path))
    return Secret(value)


def password_source_problem(path: Path | None) -> str | None:
    """Return why a password file named in the answers would fail or leak, or None."""
    if path is None:
        return None
    try:
        mode = path.stat().st_mode
        size = path.stat().st_size
    except PermissionError:
        return None  # A dry run by a normal user cannot look; the real run reads it as root.
    except OSError as error:
        return _("password file {path}: {error}; create it (mode 0600) or remove the setting "
                 "to generate a password").format(path=path, error=error.strerror)
    if size == 0:
        return _("password file {path} is empty: put the password in it").format(path=path)
    if mode & 0o077:
        return _("password file {path} has mode {mode:04o}: other users can read it; run "
                 "'chmod 600 {path}'").format(path=path, mode=mode & 0o777)
    return None


def choose_password(given: Secret | None, source: Path | None, kept: Path | None) -> Secret:
    """Pick a password: typed in the UI, read from the answers' file, kept, or generated."""
    if given:
        return given
    if source is not None:
        problem = password_source_problem(source)
        if problem:
            raise StepError(problem)
        return read_secret_file(source)
    if kept is not None and kept.exists():
        return read_secret_file(kept)
    return generate_password()


def existing_pki_entries(ctx: Context) -> list[str]:
    """Return the folders of STEPPATH holding a PKI, besides the wizard's password files.

    A PKI left by an interrupted init counts too: step ca init would otherwise overwrite its
    keys in place, with no backup.
    """
    answers = ctx.answers
    home = Path(answers.steppath)
    ours = {Path(answers.ca_password_path).name, Path(answers.provisioner_password_path).name}
    found: list[str] = []
    for entry in PKI_ENTRIES:
        folder = home / entry
        if not folder.is_dir():
            continue
        names = {child.name for child in folder.iterdir()}
        if entry == "secrets":
            # The wizard's password files, and their temporary copies from a killed write.
            names = {name for name in names if name not in ours and not any(
                name.startswith(f".{own}.") for own in ours)}
        if names:
            found.append(entry)
    return found


class CaInit(Step):
    """Runs ``step ca init`` with remote management and ACME, never over an existing PKI."""

    id = "ca-init"
    title = N_("CA initialisation")
    summary = N_("Create the root and intermediate certificates, the first provisioner and "
                 "the CA configuration with step ca init.")

    def plan(self, ctx: Context) -> Plan:
        """List the two password files and the init command."""
        answers = ctx.answers
        user = answers.service_user
        plan = Plan()
        if existing_pki_entries(ctx):
            plan.notes.append(_("a PKI already exists in {path}: it is kept unless you confirm "
                                "replacing it").format(path=answers.steppath))
        for name, source in (("password_file", answers.password_file),
                             ("provisioner_password_file", answers.provisioner_password_file)):
            problem = password_source_problem(_path(source))
            if problem:
                plan.problems.append(f"{name}: {problem}")
        plan.write(answers.ca_password_path, None, owner=user, group=user, mode=0o600,
                   secret=True, purpose=_("password of the CA keys"))
        plan.write(answers.provisioner_password_path, None, owner=user, group=user,
                   mode=0o600, secret=True, purpose=_("password of the admin provisioner"))
        plan.command(*init_argv(ctx), user=user, env=ctx.step_env())
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether a PKI and both password files exist in STEPPATH."""
        answers = ctx.answers
        return all(Path(path).exists() for path in (
            answers.ca_json_path, answers.root_cert_path, answers.ca_password_path,
            answers.provisioner_password_path))

    def apply(self, ctx: Context) -> None:
        """Write the password files, run step ca init, and check the root fingerprint."""
        answers = ctx.answers
        leftovers = existing_pki_entries(ctx)
        if leftovers:
            self._confirm_replacement(ctx, leftovers)
        # Passwords are settled before anything moves, so a bad password file stops the step
        # with the existing PKI still in place.
        keep = not leftovers
        ca_password = choose_password(ctx.ca_password, _path(answers.password_file),
                                      Path(answers.ca_password_path) if keep else None)
        provisioner_password = choose_password(
            ctx.provisioner_password, _path(answers.provisioner_password_file),
            Path(answers.provisioner_password_path) if keep else None)
        if leftovers:
            self._move_aside(ctx, leftovers)
        user = answers.service_user
        secrets_dir = Path(answers.ca_password_path).parent
        secrets_dir.mkdir(mode=0o700, exist_ok=True)
        require_real_folder(secrets_dir)
        os.lchown(secrets_dir, *ids_of(user, user))
        for secret, path in ((ca_password, answers.ca_password_path),
                             (provisioner_password, answers.provisioner_password_path)):
            REDACTOR.register(secret)
            write_file(Path(path), secret.reveal() + "\n", owner=user, group=user, mode=0o600,
                       backup=False)
        result = run_step_cli(ctx.runner, init_argv(ctx), user=user, env=ctx.step_env(),
                              prompts=self._prompts(ctx), timeout=300,
                              hint=_("step ca init failed; its last lines are above"))
        printed = parse_step_fingerprint(result.output)
        computed = root_fingerprint(Path(answers.root_cert_path).read_bytes())
        if printed is not None and printed != computed:
            raise StepError(_("step printed the root fingerprint {printed} but the root "
                              "certificate's SHA-256 is {computed}: do not use this PKI").format(
                                  printed=printed, computed=computed))
        ctx.state.set_fact("root_fingerprint", computed)
        ctx.say(_("root fingerprint: {fp}").format(fp=computed))

    def _prompts(self, ctx: Context) -> list[Prompt]:
        """Return the prompts init may still show although every value is given by flag."""

        def overwrite(match: re.Match[str]) -> str | None:
            name = match.group(1)
            allowed = ctx.interaction.confirm(
                Topic.OVERWRITE_FILE, _("Overwrite a file?"),
                _("step ca init wants to overwrite {file}. Overwrite it?").format(file=name))
            return "y\r" if allowed else "n\r"

        return [Prompt(r"Would you like to overwrite (\S+) \[y/n\]", overwrite,
                       _("overwrite confirmation"))]

    def _confirm_replacement(self, ctx: Context, leftovers: list[str]) -> None:
        """Ask before replacing a PKI; raise StepError when the operator keeps it."""
        answers = ctx.answers
        home = Path(answers.steppath)
        question = _("{path} already holds a PKI ({folders}). Replacing it makes every "
                     "certificate it issued untrusted by clients of the new root. The old "
                     "files are moved to a backup folder. Replace it?").format(
                         path=home, folders=", ".join(leftovers))
        if not ctx.interaction.confirm(Topic.REINITIALIZE, _("Replace the existing CA?"),
                                       question):
            raise StepError(
                _("the existing PKI in {path} was kept and nothing was changed. To keep using "
                  "it, put its key password in {password} and the admin provisioner's in "
                  "{provisioner} (mode 0600, owner {user}), then run the wizard again").format(
                    path=home, password=answers.ca_password_path,
                    provisioner=answers.provisioner_password_path, user=answers.service_user))

    def _move_aside(self, ctx: Context, leftovers: list[str]) -> None:
        """Move the PKI folders of STEPPATH into a dated backup folder beside it."""
        home = Path(ctx.answers.steppath)
        backup = home.parent / f"{home.name}.bak-{timestamp()}"
        backup.mkdir(mode=0o700)
        for entry in leftovers:
            os.replace(home / entry, backup / entry)
        log.info("moved the previous PKI from %s to %s", home, backup)
        ctx.say(_("the previous PKI was moved to {path}").format(path=backup))


def _path(value: object) -> Path | None:
    """Return a filesystem path for an optional answers path."""
    return None if value is None else Path(str(value))
