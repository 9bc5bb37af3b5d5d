"""Step 3: the system user and group step-ca runs as, with STEPPATH as its home."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

from stepwizard.context import Context
from stepwizard.i18n import N_, _
from stepwizard.plan import Plan
from stepwizard.steps.base import Step, StepError

NOLOGIN = "/usr/sbin/nologin"


def user_problem(name: str, home: str) -> str | None:
    """Return why an existing account cannot serve as the CA's user, or None if it can."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    if entry.pw_dir != home:
        return _("the user {name} already exists with home {home}, not {expected}: choose "
                 "another service user, or set its home with 'usermod -d {expected} {name}'"
                 ).format(name=name, home=entry.pw_dir, expected=home)
    if entry.pw_uid == 0:
        return _("the service user must not be root")
    return None


def home_problem(home: Path, user: str) -> str | None:
    """Return why STEPPATH cannot become the service user's home, or None if it can.

    A new folder, an empty one, or one the service user already owns is fine. Anything else
    belongs to someone else and would be handed over to the service user.
    """
    if home.is_symlink():
        return _("{home} is a symbolic link: use a real folder as STEPPATH").format(home=home)
    if not home.exists():
        return None
    if not home.is_dir():
        return _("{home} exists and is not a folder: choose another STEPPATH").format(home=home)
    try:
        owner = pwd.getpwuid(home.stat().st_uid).pw_name
    except KeyError:
        owner = str(home.stat().st_uid)
    if owner == user or not any(home.iterdir()):
        return None
    return _("{home} already holds files owned by {owner}: stepwizard would hand them all to "
             "{user}. Choose a new or empty folder as STEPPATH, or empty this one").format(
                 home=home, owner=owner, user=user)


class ServiceUser(Step):
    """Creates a system user and group without password or login shell."""

    id = "service-user"
    title = N_("Service user")
    summary = N_("Create the system user and group step-ca runs as, with no password and no "
                 "login shell.")

    def plan(self, ctx: Context) -> Plan:
        """List the useradd command and the home folder."""
        answers = ctx.answers
        plan = Plan()
        plan.command("useradd", "--system", "--user-group", "--home-dir", str(answers.steppath),
                     "--no-create-home", "--shell", NOLOGIN, "--comment", "step-ca service",
                     answers.service_user)
        plan.command("install", "-d", "-o", answers.service_user, "-g", answers.service_user,
                     "-m", "0750", str(answers.steppath))
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether the user, its group and its home folder exist as planned."""
        answers = ctx.answers
        try:
            entry = pwd.getpwnam(answers.service_user)
            group = grp.getgrnam(answers.service_user)
        except KeyError:
            return False
        home = Path(answers.steppath)
        return (entry.pw_dir == str(home) and entry.pw_shell == NOLOGIN and home.is_dir()
                and home.stat().st_uid == entry.pw_uid and entry.pw_gid == group.gr_gid)

    def apply(self, ctx: Context) -> None:
        """Create the user and group if missing, then the home folder with the right owner."""
        answers = ctx.answers
        problem = user_problem(answers.service_user, str(answers.steppath)) or \
            home_problem(Path(answers.steppath), answers.service_user)
        if problem:
            raise StepError(problem)
        exists = True
        try:
            pwd.getpwnam(answers.service_user)
        except KeyError:
            exists = False
        if not exists:
            try:
                grp.getgrnam(answers.service_user)
                group_flags = ["--gid", answers.service_user]
            except KeyError:
                group_flags = ["--user-group"]
            ctx.runner.run(["useradd", "--system", *group_flags, "--home-dir",
                            str(answers.steppath), "--no-create-home", "--shell", NOLOGIN,
                            "--comment", "step-ca service", answers.service_user])
        else:
            ctx.runner.run(["usermod", "--shell", NOLOGIN, answers.service_user])
        home = Path(answers.steppath)
        existed = home.exists()
        ctx.runner.run(["install", "-d", "-o", answers.service_user, "-g",
                        answers.service_user, "-m", "0750", str(home)])
        if existed and any(home.iterdir()):
            ctx.say(_("{home} already exists and is not empty; its content is kept").format(
                home=home))
        if os.stat(home).st_uid != pwd.getpwnam(answers.service_user).pw_uid:
            raise StepError(_("{home} is not owned by {user}").format(
                home=home, user=answers.service_user))
