"""Plans as shown to the operator, and the resumable state file."""

from __future__ import annotations

import json
import stat
from pathlib import Path, PurePosixPath

from stepwizard.answers import Answers
from stepwizard.context import Context
from stepwizard.engine import render_plan
from stepwizard.interaction import HeadlessInteraction
from stepwizard.plan import Plan
from stepwizard.runner import Runner
from stepwizard.secrets import MASK
from stepwizard.state import StateStore, StepStatus
from stepwizard.steps import ALL_STEPS, all_steps


def context() -> Context:
    answers = Answers(ca_name="Lab CA", dns_names=["ca.lab.example"],
                      steppath=PurePosixPath("/nonexistent/stepwizard-test"))
    return Context(answers, Runner(), HeadlessInteraction(answers), StateStore(None))


def test_plan_renders_user_env_and_masked_secret() -> None:
    plan = Plan()
    plan.command("step", "ca", "init", "--name", "Lab CA", user="step",
                 env={"STEPPATH": "/etc/step-ca"})
    plan.write(PurePosixPath("/etc/step-ca/secrets/password.txt"), "hunter2", owner="step",
               group="step", mode=0o600, secret=True)
    lines = plan.render()
    assert lines[0] == ("$ runuser -u step -- env STEPPATH=/etc/step-ca step ca init --name "
                        "'Lab CA'")
    assert lines[1] == "write /etc/step-ca/secrets/password.txt (owner step:step, mode 0600)"
    assert lines[2].strip() == MASK
    assert "hunter2" not in "\n".join(lines)


def test_full_plan_lists_every_step_in_order() -> None:
    lines = render_plan(all_steps(), context())
    headers = [line for line in lines if line.startswith("[")]
    assert len(headers) == len(ALL_STEPS) == 9
    text = "\n".join(lines)
    assert "--remote-management" in text
    assert "--acme" in text
    assert "apt-get update --error-on=any -o" in text
    assert "Signed-By: /etc/apt/keyrings/smallstep.asc" in text
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in text
    assert "--x509-default-dur 672h" in text
    # The service starts before the admin API is used for ACME and durations.
    assert text.index("systemctl enable --now") < text.index("provisioner update")


def test_custom_acme_name_is_added_through_admin_api() -> None:
    ctx = context()
    ctx.answers.acme_provisioner = "certs"
    text = "\n".join(render_plan(all_steps(), ctx))
    assert "--acme" not in text.split("ca init", 1)[1].split("\n", 1)[0]
    assert "provisioner add certs --type ACME" in text


def test_state_round_trip_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "state" / "state.json"
    store = StateStore(path)
    store.set_answers({"ca_name": "Lab CA"})
    store.record("ca-init", StepStatus.DONE)
    store.set_fact("root_fingerprint", "ab" * 32)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = StateStore(path)
    assert again.status("ca-init") is StepStatus.DONE
    assert again.status("service") is StepStatus.PENDING
    assert again.answers == {"ca_name": "Lab CA"}
    assert again.fact("root_fingerprint") == "ab" * 32


def test_state_ignores_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    assert StateStore(path).status("ca-init") is StepStatus.PENDING


def test_state_has_no_password_field(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = StateStore(path)
    store.set_answers(context().answers.model_dump(mode="json"))
    keys = json.loads(path.read_text())["answers"].keys()
    assert not [key for key in keys if "password" in key and not key.endswith("_file")]
