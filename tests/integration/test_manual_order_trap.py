"""The manual procedure's order loses the ACME provisioner; the engine's order does not.

The manual procedure runs ``step ca init --remote-management`` without ``--acme``, then
``step ca provisioner add acme --type ACME`` while step-ca is stopped, then starts it.
This test runs exactly that with the real step-ca 0.30.2 and records what happens, then
runs the engine's AcmeProvisioner step on the same CA to show that it repairs the setup.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepwizard.answers import Answers
from stepwizard.ca_client import check_ca, list_provisioners
from stepwizard.context import Context
from stepwizard.files import write_file
from stepwizard.interaction import HeadlessInteraction
from stepwizard.runner import Runner, as_user, strip_ansi
from stepwizard.secrets import Secret
from stepwizard.state import StateStore
from stepwizard.stepcli import run_step_cli
from stepwizard.steps.acme import AcmeProvisioner
from stepwizard.steps.ca_init import init_argv
from stepwizard.steps.service_user import ServiceUser

from .support import (
    CaServer,
    Tools,
    canary_value,
    free_loopback_port,
    read_tail,
    temporary_base_folder,
    temporary_user_cleanup,
    unique_user_name,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def manual_ctx(tools: Tools) -> Iterator[tuple[Context, CaServer, list[str]]]:
    """Prepare a user name, a STEPPATH and a Context for the manual procedure, then clean up."""
    user = unique_user_name()
    with temporary_base_folder("trap") as base, temporary_user_cleanup(user):
        answers = Answers.model_validate({
            "ca_name": "stepwizard manual order trap",
            "dns_names": ["localhost", "127.0.0.1"],
            "address": f"127.0.0.1:{free_loopback_port()}",
            "acme_provisioner": "acme",
            "remote_management": True,
            "steppath": str(base / "step-ca"),
            "service_user": user,
        })
        lines: list[str] = []
        ctx = Context(answers=answers, runner=Runner(sink=lines.append),
                      interaction=HeadlessInteraction(answers),
                      state=StateStore(base / "state.json"),
                      ca_password=Secret(canary_value("Ca")),
                      provisioner_password=Secret(canary_value("Provisioner")),
                      step_binary=tools.step, step_ca_binary=tools.step_ca, start_timeout=30.0)
        server = CaServer(ctx, base / "step-ca.log")
        try:
            yield ctx, server, lines
        finally:
            server.stop()


def init_without_acme(ctx: Context) -> None:
    """Write the password files and run ``step ca init --remote-management`` without --acme."""
    answers = ctx.answers
    user = answers.service_user
    secrets_dir = Path(answers.ca_password_path).parent
    secrets_dir.mkdir(mode=0o700)
    shutil.chown(secrets_dir, user, user)
    for secret, path in ((ctx.ca_password, answers.ca_password_path),
                         (ctx.provisioner_password, answers.provisioner_password_path)):
        assert secret is not None
        write_file(Path(path), secret.reveal() + "\n", owner=user, group=user, mode=0o600,
                   backup=False)
    argv = [word for word in init_argv(ctx) if word != "--acme"]
    run_step_cli(ctx.runner, argv, user=user, env=ctx.step_env(), timeout=300)


def test_manual_order_loses_acme(manual_ctx: tuple[Context, CaServer, list[str]]) -> None:
    """Adding ACME while the CA is stopped has no effect; the engine's step adds it live."""
    ctx, server, lines = manual_ctx
    answers = ctx.answers
    ServiceUser().apply(ctx)
    init_without_acme(ctx)

    # step falls back to editing ca.json because no CA responds on the admin API.
    added = subprocess.run(
        as_user([ctx.step_binary, "ca", "provisioner", "add", "acme", "--type", "ACME"],
                answers.service_user, ctx.step_env()),
        capture_output=True, text=True, timeout=60, check=False)
    print(f"provisioner add while stopped: exit {added.returncode}: "
          f"{strip_ansi(added.stdout + added.stderr).strip()}")
    assert added.returncode == 0, added.stdout + added.stderr
    assert "config has been updated" in added.stdout + added.stderr
    config = json.loads(Path(answers.ca_json_path).read_text())
    in_ca_json = [(item["type"], item["name"]) for item in config["authority"]["provisioners"]]
    assert ("ACME", "acme") in in_ca_json

    server.start()
    server.wait_healthy()
    before = check_ca(ctx)
    names_before = [item.get("name") for item in list_provisioners(ctx)]
    print(f"after start: ACME directory status {before.acme_status}, provisioners served "
          f"{names_before}, ca.json lists {in_ca_json}")
    # init stored the admin provisioner in the database, so step-ca 0.30.2 reads only the
    # database and ignores the provisioner list in ca.json.
    assert before.acme_status == 404, read_tail(server.log_path)
    assert "acme" not in names_before

    AcmeProvisioner().apply(ctx)
    after = check_ca(ctx)
    names_after = [item.get("name") for item in list_provisioners(ctx)]
    print(f"after the engine's AcmeProvisioner step: ACME directory status "
          f"{after.acme_status}, provisioners served {names_after}")
    assert after.acme_status == 200, "\n".join(lines[-20:]) + read_tail(server.log_path)
    assert "acme" in names_after
