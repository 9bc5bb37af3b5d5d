"""Step 2: add smallstep's signed apt repository and install step-cli and step-ca."""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from stepwizard.context import Context
from stepwizard.files import restore_or_remove, write_file
from stepwizard.i18n import N_, _
from stepwizard.interaction import Topic
from stepwizard.plan import Plan
from stepwizard.runner import CommandError
from stepwizard.steps.base import Step, StepError

KEYRING_DIR = PurePosixPath("/etc/apt/keyrings")
SOURCES_PATH = PurePosixPath("/etc/apt/sources.list.d/smallstep.sources")
PACKAGES = ("step-cli", "step-ca")
# Oldest releases with every flag the wizard passes (--deployment-type, --remote-management,
# --acme, --admin-subject, provisioner update with --x509-*-dur and --admin-password-file).
MIN_VERSIONS = {"step-cli": (0, 24, 0), "step-ca": (0, 24, 0)}

log = logging.getLogger(__name__)


def update_argv() -> list[str]:
    """Return apt-get update limited to smallstep's source, failing on any error.

    Limiting the update to this one source keeps an unrelated broken source on the host from
    failing the step, and makes every error reported here one of smallstep's repository.
    """
    return ["apt-get", "update", "--error-on=any",
            "-o", f"Dir::Etc::sourcelist={SOURCES_PATH}",
            "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0"]


def refresh_argv() -> list[str]:
    """Return the apt-get update of every source, run before the packages are installed.

    step-ca depends on libpcsclite1 from Debian's own archive. The scoped update above does
    not refresh Debian's package lists, which are empty on a fresh image and may be stale
    elsewhere, so without this update apt-get install reports the dependency as "not
    installable".
    """
    return ["apt-get", "update"]


def keyring_path(armored: bool) -> PurePosixPath:
    """Return the keyring file name apt expects for an armored or a binary key."""
    return KEYRING_DIR / ("smallstep.asc" if armored else "smallstep.gpg")


def render_sources(repository_url: str, keyring: PurePosixPath) -> str:
    """Return the deb822 sources file for smallstep's repository."""
    return (
        "# smallstep's apt repository, added by stepwizard.\n"
        "Types: deb\n"
        f"URIs: {repository_url}\n"
        "Suites: debs\n"
        "Components: main\n"
        f"Signed-By: {keyring}\n"
    )


def key_fingerprints(key: bytes) -> list[str]:
    """Return the primary-key fingerprints in an OpenPGP key file, read with gpg --show-keys."""
    with tempfile.TemporaryDirectory(prefix="stepwizard-gpg-") as home:
        result = subprocess.run(
            ["gpg", "--homedir", home, "--batch", "--with-colons", "--show-keys"],
            input=key, capture_output=True, check=False, timeout=60)
    fingerprints: list[str] = []
    expect_fpr = False
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] == "pub":
            expect_fpr = True
        elif fields[0] == "fpr" and expect_fpr:
            fingerprints.append(fields[9].upper())
            expect_fpr = False
    return fingerprints


def installed_version(package: str) -> str | None:
    """Return the installed version of a Debian package, or None."""
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Status}\t${Version}", package],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0 or not result.stdout.startswith("install ok installed"):
        return None
    return result.stdout.split("\t", 1)[1]


def version_tuple(version: str) -> tuple[int, ...]:
    """Return the leading numbers of a Debian version (epoch dropped) for comparison."""
    upstream = version.split(":", 1)[-1]
    return tuple(int(part) for part in re.findall(r"\d+", upstream.split("-", 1)[0])[:3])


def check_versions() -> list[str]:
    """Return one message per installed package older than the wizard needs."""
    problems: list[str] = []
    for package, minimum in MIN_VERSIONS.items():
        version = installed_version(package)
        if version is not None and version_tuple(version) < minimum:
            problems.append(
                _("{package} {version} is too old: stepwizard needs {minimum} or newer; run "
                  "'apt-get install --only-upgrade {package}' from smallstep's repository")
                .format(package=package, version=version,
                        minimum=".".join(map(str, minimum))))
    return problems


def explain_apt_failure(error: CommandError, url: str, key_url: str) -> str:
    """Turn apt-get update's output into a message naming the repository and the fix."""
    output = "\n".join(error.tail)
    if re.search(r"NO_PUBKEY|BADSIG|EXPKEYSIG|not signed|signatures couldn't be verified|"
                 r"invalid signature|OpenPGP", output, re.IGNORECASE):
        return _("apt rejected the signature of {url}: the key from {key_url} did not sign it. "
                 "Check repository_url and repository_key_url (and the expected fingerprint); "
                 "nothing was installed.").format(url=url, key_url=key_url)
    if re.search(r"Could not (connect|resolve)|Failed to fetch|Connection failed|timed out|"
                 r"Temporary failure", output, re.IGNORECASE):
        return _("apt could not download from {url}: check the URL, the network and any proxy; "
                 "nothing was installed.").format(url=url)
    return _("apt-get update failed for {url}; nothing was installed. Its last lines are shown "
             "above.").format(url=url)


class Repository(Step):
    """Adds smallstep's apt repository (verified signing key) and installs the packages."""

    id = "repository"
    title = N_("Repository")
    summary = N_("Download and verify smallstep's signing key, add its apt repository, and "
                 "install step-cli and step-ca.")

    def plan(self, ctx: Context) -> Plan:
        """List the key download, the two files and the apt commands."""
        answers = ctx.answers
        plan = Plan()
        expected = answers.repository_key_fingerprint
        if expected:
            plan.notes.append(_("expected key fingerprint: {fp}").format(fp=expected))
        elif answers.trust_on_first_use:
            plan.notes.append(_("no expected key fingerprint is set: the wizard asks you to "
                                "confirm the downloaded key's fingerprint, and a headless run "
                                "accepts it (trust on first use) and logs it"))
        else:
            plan.notes.append(_("no expected key fingerprint is set: the wizard shows the "
                                "downloaded key's fingerprint for you to confirm; a headless "
                                "run stops here unless --trust-on-first-use is given"))
        plan.command("curl", "-fsSL", "--proto", "=https", answers.repository_key_url,
                     purpose=_("download the signing key"))
        plan.command("gpg", "--show-keys", "--with-colons", purpose=_("read its fingerprint"))
        plan.write(keyring_path(True), None, purpose=_("the signing key"))
        plan.write(SOURCES_PATH, render_sources(answers.repository_url, keyring_path(True)))
        plan.command(*update_argv())
        plan.command(*refresh_argv(),
                     purpose=_("refresh every source, for step-ca's Debian dependencies"))
        plan.command("apt-get", "install", "-y", *PACKAGES)
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether both packages are installed in a version new enough."""
        return all(installed_version(p) for p in PACKAGES) and not check_versions()

    def apply(self, ctx: Context) -> None:
        """Verify the key, write the keyring and sources, update apt and install."""
        problems = check_versions()
        if problems:
            raise StepError("\n".join(problems))
        answers = ctx.answers
        key = self._download_key(ctx)
        keyring = keyring_path(key.lstrip().startswith(b"-----BEGIN PGP"))
        sources = render_sources(answers.repository_url, keyring)
        saved_key = write_file(Path(keyring), key, mode=0o644)
        saved_sources = write_file(Path(SOURCES_PATH), sources, mode=0o644)
        try:
            ctx.runner.run(update_argv(), timeout=600)
        except CommandError as error:
            restore_or_remove(Path(SOURCES_PATH), saved_sources)
            restore_or_remove(Path(keyring), saved_key)
            raise StepError(explain_apt_failure(error, answers.repository_url,
                                                answers.repository_key_url)) from error
        refresh = ctx.runner.run(refresh_argv(), check=False, timeout=600)
        if refresh.returncode != 0:
            # Another source of the host failed, because smallstep's own passed just above.
            # The install may still succeed, and otherwise it names what is missing.
            ctx.say(_("warning: apt-get update failed for another source of this host (exit "
                      "status {code}); installing anyway").format(code=refresh.returncode))
        ctx.runner.run(["apt-get", "install", "-y", *PACKAGES], timeout=900)
        problems = check_versions()
        if problems:
            raise StepError("\n".join(problems))

    def _download_key(self, ctx: Context) -> bytes:
        """Download the signing key and check its fingerprint; return the key bytes."""
        answers = ctx.answers
        with tempfile.TemporaryDirectory(prefix="stepwizard-key-") as folder:
            target = Path(folder) / "key"
            ctx.runner.run(["curl", "-fsSL", "--proto", "=https", "--max-time", "60",
                            "-o", str(target), answers.repository_key_url],
                           hint=_("could not download the signing key from {url}: check the URL "
                                  "and the network").format(url=answers.repository_key_url))
            key = target.read_bytes()
        fingerprints = key_fingerprints(key)
        if len(fingerprints) != 1:
            raise StepError(
                _("{url} holds {count} OpenPGP keys, exactly one was expected: check "
                  "repository_key_url").format(url=answers.repository_key_url,
                                               count=len(fingerprints)))
        found = fingerprints[0]
        ctx.say(_("signing key fingerprint: {fp}").format(fp=found))
        expected = answers.repository_key_fingerprint
        if expected is not None and found != expected:
            raise StepError(
                _("the key at {url} has fingerprint {found}, but {expected} was expected: do not "
                  "trust it; check repository_key_url and repository_key_fingerprint").format(
                    url=answers.repository_key_url, found=found, expected=expected))
        if expected is None:
            question = _("The signing key downloaded from {url} has the fingerprint\n\n{fp}\n\n"
                         "Compare it with the one smallstep publishes. Trust this key?").format(
                             url=answers.repository_key_url, fp=found)
            if not ctx.interaction.confirm(Topic.TRUST_KEY, _("Trust the signing key?"),
                                           question):
                raise StepError(_("the signing key {fp} was not accepted; nothing was "
                                  "changed").format(fp=found))
        ctx.state.set_fact("repository_key_fingerprint", found)
        log.info("accepted repository signing key %s from %s", found,
                                         answers.repository_key_url)
        return key
