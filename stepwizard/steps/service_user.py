"""Step 3: the system user and group step-ca runs as, with STEPPATH as its home."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

from stepwizard.context import Context
from stepwizard.i18n import N_, _
from stepwizard.plan import Plan
from stepwizard.steps.base import Step, StepError

NOLOGIN = "/usr/sbin/nologin"
# Debian's UID_MIN (/etc/login.defs): accounts from here on belong to people.
FIRST_HUMAN_UID = 1000


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
    if entry.pw_uid >= FIRST_HUMAN_UID:
        return _("{name} is a regular account (uid {uid}): the service user must be a system "
                 "account, so choose a name that does not exist yet, such as step").format(
                     name=name, uid=entry.pw_uid)
    return None


def ancestor_problem(home: Path) -> str | None:
    """Return why a folder above STEPPATH is unsafe, or None.

    Every folder above must be a real folder owned by root that no one else can write to
    (a sticky folder such as /tmp excepted), or its owner could swap STEPPATH at any time.
    """
    for folder in list(home.parents)[::-1]:
        try:
            status = os.lstat(folder)
        except FileNotFoundError:
            return None  # The rest is created by the wizard, as root.
        if not stat.S_ISDIR(status.st_mode):
            return _("{folder} is a symbolic link or not a folder: choose a STEPPATH whose "
                     "folders are all real").format(folder=folder)
        writable = status.st_mode & 0o022 and not status.st_mode & stat.S_ISVTX
        if status.st_uid != 0 or writable:
            return _("{folder}, above STEPPATH, is owned by uid {uid} or writable by others: "
                     "choose a STEPPATH under folders only root can change, such as "
                     "/etc/step-ca").format(folder=folder, uid=status.st_uid)
    return None


def home_problem(home: Path, user: str) -> str | None:
    """Return why STEPPATH cannot become the service user's home, or None if it can.

    STEPPATH must be new (the wizard creates it) or already belong to the service user from
    an earlier run. An existing folder of anyone else, even empty, would be handed over to
    the service user, and some empty system folders are on root's PATH.
    """
    problem = ancestor_problem(home)
    if problem:
        return problem
    try:
        status = os.lstat(home)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(status.st_mode):
        return _("{home} is a symbolic link or not a folder: choose another STEPPATH").format(
            home=home)
    try:
        expected = pwd.getpwnam(user).pw_uid
    except KeyError:
        expected = None
    if status.st_uid == expected:
        return None
    try:
        owner = pwd.getpwuid(status.st_uid).pw_name
    except KeyError:
        owner = str(status.st_uid)
    return _("{home} already exists and belongs to {owner}: stepwizard creates STEPPATH "
             "itself and hands it to {user}. Choose a new folder, or remove this one if it "
             "is an empty leftover").format(home=home, owner=owner, user=user)


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
