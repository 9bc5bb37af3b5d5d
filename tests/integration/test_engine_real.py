"""The engine's steps run for real: step ca init, hardening, the real step-ca, ACME, certbot.

Each scenario creates a system user and a STEPPATH, and runs the steps that need no
systemd and no apt (ServiceUser, CaInit, Hardening). It then starts the real step-ca as that
user on a loopback port, with the unit's own ExecStart line, and runs AcmeProvisioner,
Durations and Summary against it. A real ACME client, Debian's certbot, then orders a
certificate for ``localhost`` over http-01. Prerequisites, Repository and Service are skipped
because they need apt and systemd.

The tests below only read what the scenario fixture recorded, so each failure names one
check. Values worth reading in the CI log (the step-ca version, the ACME directory
answer, the certificate validity) are printed, and ``pytest -rA`` shows them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from stepwizard.answers import Answers
from stepwizard.ca_client import connect_host, list_provisioners
from stepwizard.context import Context
from stepwizard.durations import parse_go_duration
from stepwizard.interaction import HeadlessInteraction
from stepwizard.logsetup import setup_logging
from stepwizard.probe import HttpAnswer, https_get
from stepwizard.runner import Runner, as_user
from stepwizard.secrets import Secret
from stepwizard.state import StateStore
from stepwizard.steps.acme import AcmeProvisioner
from stepwizard.steps.base import Step
from stepwizard.steps.ca_init import CaInit
from stepwizard.steps.durations import Durations
from stepwizard.steps.hardening import Hardening
from stepwizard.steps.service_user import ServiceUser
from stepwizard.steps.summary import Summary

from .support import (
    CanarySampler,
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

# The identifier certbot orders. /etc/hosts maps it to 127.0.0.1, so step-ca's http-01
# validation reaches certbot's standalone server on 127.0.0.1:80 and nothing else.
ACME_IDENTIFIER = "localhost"
# step-ca 0.30.2 backdates an order's notBefore by one minute when the client sends none
# (defaultOrderBackdate in certificates/acme/api/order.go), and computes notAfter from the
# undated time, so a certificate's validity is the default duration plus this minute.
ORDER_BACKDATE = timedelta(minutes=1)
LONG_ORDER_HELPER = Path(__file__).with_name("acme_long_order.py")


@dataclass(frozen=True)
class Scenario:
    """A set of answers to run the engine with; None durations keep the Answers defaults."""

    label: str
    acme_provisioner: str
    min_duration: str | None = None
    default_duration: str | None = None
    max_duration: str | None = None


SCENARIOS = [
    # step ca init --acme creates the provisioner `acme`, and Durations only updates it.
    Scenario("acme-default-durations", "acme"),
    # Any other name makes AcmeProvisioner add it through the admin API of the running CA.
    Scenario("certs-custom-durations", "certs", "10m", "48h", "720h"),
]


@dataclass
class StepRecord:
    """is_done before apply, right after it and once more, for one step."""

    step_id: str
    done_before: bool
    done_after: bool
    done_again: bool
    seconds: float


@dataclass
class Attempt:
    """Result of an optional phase: its value, or the error that stopped it."""

    value: Any = None
    error: str = ""


@dataclass
class ScenarioRun:
    """Everything one scenario recorded, read by the tests."""

    scenario: Scenario
    ctx: Context
    base: Path
    server: CaServer
    sink_lines: list[str]
    sampler: CanarySampler
    canaries: list[str]
    records: dict[str, StepRecord] = field(default_factory=dict)
    init_config: dict[str, Any] = field(default_factory=dict)
    hardened_config: dict[str, Any] = field(default_factory=dict)
    step_ca_version: str = ""
    health_output: Attempt = field(default_factory=Attempt)
    directory: Attempt = field(default_factory=Attempt)
    provisioners: Attempt = field(default_factory=Attempt)
    certbot: Attempt = field(default_factory=Attempt)
    long_order: Attempt = field(default_factory=Attempt)

    @property
    def answers(self) -> Answers:
        """The answers the scenario ran with."""
        return self.ctx.answers

    @property
    def log_file(self) -> Path:
        """stepwizard's own log file."""
        assert self.ctx.log_file is not None
        return self.ctx.log_file

    @property
    def state_file(self) -> Path:
        """stepwizard's state file."""
        assert self.ctx.state.path is not None
        return self.ctx.state.path

    def explain(self) -> str:
        """Return the last wizard output lines and step-ca log lines, for failure messages."""
        return ("\n--- last wizard output lines ---\n" + "\n".join(self.sink_lines[-30:])
                + f"\n--- step-ca log {self.server.log_path} ---\n"
                + read_tail(self.server.log_path))


def build_answers(scenario: Scenario, base: Path, user: str, port: int) -> Answers:
    """Return the answers of ``scenario`` for a CA in ``base`` on 127.0.0.1:``port``."""
    values: dict[str, Any] = {
        "ca_name": f"stepwizard integration {scenario.label}",
        "dns_names": [ACME_IDENTIFIER, "127.0.0.1"],
        "address": f"127.0.0.1:{port}",
        "acme_provisioner": scenario.acme_provisioner,
        "remote_management": True,
        "steppath": str(base / "step-ca"),
        "service_user": user,
    }
    for key, value in (("acme_min_duration", scenario.min_duration),
                       ("acme_default_duration", scenario.default_duration),
                       ("acme_max_duration", scenario.max_duration)):
        if value is not None:
            values[key] = value
    return Answers.model_validate(values)


def run_checked(run: ScenarioRun, step: Step) -> None:
    """Apply ``step`` and record is_done before, after, and on a second look."""
    started = time.monotonic()
    done_before = step.is_done(run.ctx)
    try:
        step.apply(run.ctx)
    except Exception as error:
        raise AssertionError(f"step {step.id} failed: {error}{run.explain()}") from error
    done_after = step.is_done(run.ctx)
    done_again = step.is_done(run.ctx)
    run.records[step.id] = StepRecord(step.id, done_before, done_after, done_again,
                                      time.monotonic() - started)


def run_as_service_user(run: ScenarioRun, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a step command as the service user with STEPPATH set, capturing its output."""
    full = as_user(argv, run.answers.service_user, run.ctx.step_env())
    return subprocess.run(full, capture_output=True, text=True, timeout=60, check=False)


def run_certbot(run: ScenarioRun, tools: Tools) -> x509.Certificate:
    """Order a certificate for ``localhost`` with certbot (http-01) and return it."""
    folder = run.base / "certbot"
    env = dict(os.environ, REQUESTS_CA_BUNDLE=str(run.answers.root_cert_path))
    argv = [tools.certbot, "certonly", "--standalone", "--non-interactive", "--agree-tos",
            "--register-unsafely-without-email", "--preferred-challenges", "http",
            "--http-01-address", "127.0.0.1", "--http-01-port", "80",
            "--server", run.answers.acme_directory_url, "--domain", ACME_IDENTIFIER,
            "--cert-name", "integration", "--config-dir", str(folder / "config"),
            "--work-dir", str(folder / "work"), "--logs-dir", str(folder / "logs")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180, env=env,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"certbot exited with status {result.returncode}:\n{result.stdout}{result.stderr}"
            f"\n--- certbot log ---\n{read_tail(folder / 'logs' / 'letsencrypt.log')}")
    pem = (folder / "config" / "live" / "integration" / "cert.pem").read_bytes()
    return x509.load_pem_x509_certificate(pem)


def run_long_order(run: ScenarioRun, tools: Tools) -> dict[str, Any]:
    """Order a certificate one hour past the maximum duration and return the helper's result."""
    too_long = parse_go_duration(run.answers.acme_max_duration) + timedelta(hours=1)
    argv = [tools.system_python, str(LONG_ORDER_HELPER), run.answers.acme_directory_url,
            str(run.answers.root_cert_path), ACME_IDENTIFIER,
            str(int(too_long.total_seconds()))]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the ACME helper exited with status {result.returncode}:\n"
                           f"{result.stdout}{result.stderr}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def attempt(record: Attempt, action: Any) -> None:
    """Store ``action()`` in ``record``, or the error that stopped it."""
    try:
        record.value = action()
    except Exception as error:
        record.error = f"{type(error).__name__}: {error}"


def execute_scenario(run: ScenarioRun, tools: Tools) -> None:
    """Run the steps in order against the real binaries and record every observation."""
    ctx = run.ctx
    run_checked(run, ServiceUser())
    run_checked(run, CaInit())
    run.init_config = json.loads(Path(run.answers.ca_json_path).read_text())
    run_checked(run, Hardening())
    run.hardened_config = json.loads(Path(run.answers.ca_json_path).read_text())

    run.server.start()
    run.server.wait_healthy(timeout=ctx.start_timeout)

    run_checked(run, AcmeProvisioner())
    run_checked(run, Durations())
    run_checked(run, Summary())

    version = subprocess.run([tools.step_ca, "version"], capture_output=True, text=True,
                             timeout=30, check=False)
    run.step_ca_version = (version.stdout + version.stderr).strip()
    attempt(run.health_output, lambda: run_as_service_user(
        run, [tools.step, "ca", "health"]))
    attempt(run.directory, lambda: https_get(
        run.answers.acme_directory_url, cafile=str(run.answers.root_cert_path),
        connect_host=connect_host(ctx)))
    attempt(run.provisioners, lambda: list_provisioners(ctx))
    attempt(run.certbot, lambda: run_certbot(run, tools))
    attempt(run.long_order, lambda: run_long_order(run, tools))


@pytest.fixture(scope="module", params=SCENARIOS, ids=[s.label for s in SCENARIOS])
def scenario_run(request: pytest.FixtureRequest, tools: Tools) -> Iterator[ScenarioRun]:
    """Run one scenario end to end; stop step-ca and remove the user and files afterwards."""
    scenario: Scenario = request.param
    logger = logging.getLogger("stepwizard")
    saved_logging = (list(logger.handlers), logger.level, logger.propagate)
    user = unique_user_name()
    canaries = [canary_value("Ca"), canary_value("Provisioner")]
    sampler = CanarySampler(canaries)
    with temporary_base_folder(scenario.label) as base, temporary_user_cleanup(user):
        wizard = base / "wizard"
        log_file = setup_logging(wizard / "stepwizard.log")
        answers = build_answers(scenario, base, user, free_loopback_port())
        sink_lines: list[str] = []
        ctx = Context(answers=answers, runner=Runner(sink=sink_lines.append),
                      interaction=HeadlessInteraction(answers),
                      state=StateStore(wizard / "state.json"), log_file=log_file,
                      ca_password=Secret(canaries[0]),
                      provisioner_password=Secret(canaries[1]),
                      step_binary=tools.step, step_ca_binary=tools.step_ca,
                      start_timeout=30.0)
        ctx.state.set_answers(answers.model_dump(mode="json"))
        server = CaServer(ctx, base / "step-ca.log")
        run = ScenarioRun(scenario, ctx, base, server, sink_lines, sampler, canaries)
        sampler.start()
        try:
            execute_scenario(run, tools)
            sampler.stop()
            yield run
        finally:
            sampler.stop()
            server.stop()
            for handler in logger.handlers:
                handler.close()
            logger.handlers, logger.level, logger.propagate = saved_logging


def test_steps_become_done_idempotently(scenario_run: ScenarioRun) -> None:
    """Each applied step reports done right after apply and on a second look."""
    records = scenario_run.records
    assert list(records) == ["service-user", "ca-init", "hardening", "acme", "durations",
                             "summary"]
    for record in records.values():
        print(f"{record.step_id}: done before={record.done_before} after={record.done_after} "
              f"again={record.done_again} ({record.seconds:.1f}s)")
        assert record.done_after, f"{record.step_id}: is_done is False right after apply"
        assert record.done_again, f"{record.step_id}: is_done turned False on a second call"
    for step_id in ("service-user", "ca-init", "hardening", "durations"):
        assert not records[step_id].done_before, f"{step_id}: is_done was True before apply"
    # init --acme already creates `acme`; any other name is added by the step itself.
    acme_from_init = scenario_run.answers.acme_provisioner == "acme"
    assert records["acme"].done_before is acme_from_init


def test_hardening_keeps_init_blocks(scenario_run: ScenarioRun) -> None:
    """Hardened ca.json keeps init's provisioners and bbolt db and adds the TLS overlay."""
    init = scenario_run.init_config
    hardened = scenario_run.hardened_config
    assert hardened["db"] == init["db"]
    assert hardened["db"]["type"] == "bbolt"
    # init writes "badgerFileLoadingMode": "" for every database; FileIO is for Badger only.
    assert hardened["db"].get("badgerFileLoadingMode", "") == ""
    # With remote management, init (smallstep's pki package) stores the provisioners and
    # the super admin in the database and leaves them out of ca.json. An empty list added
    # here would not matter to step-ca, but any change means the merge touched them.
    assert "provisioners" not in init["authority"]
    assert "provisioners" not in hardened["authority"]
    assert Path(hardened["db"]["dataSource"]).is_file()
    assert hardened["authority"]["enableAdmin"] is True
    tls = hardened["tls"]
    assert tls["minVersion"] == 1.2
    assert tls["maxVersion"] == 1.3
    assert tls["renegotiation"] is False
    assert all(suite.startswith("TLS_ECDHE_") for suite in tls["cipherSuites"])
    assert hardened["logger"] == {"format": "text"}


def test_step_ca_health_prints_ok(scenario_run: ScenarioRun) -> None:
    """step ca health, run as the service user, prints ok."""
    print(f"step-ca version: {scenario_run.step_ca_version}")
    assert scenario_run.step_ca_version.startswith("Smallstep CA/0.30.2"), (
        scenario_run.step_ca_version)
    attempt_ = scenario_run.health_output
    assert not attempt_.error, attempt_.error + scenario_run.explain()
    result: subprocess.CompletedProcess[str] = attempt_.value
    print(f"step ca health: exit {result.returncode}: {result.stdout.strip()}")
    assert result.returncode == 0, result.stderr + scenario_run.explain()
    assert result.stdout.strip() == "ok"


def test_acme_directory_answers_200(scenario_run: ScenarioRun) -> None:
    """GET /acme/<name>/directory answers 200 with the ACME resource URLs."""
    attempt_ = scenario_run.directory
    assert not attempt_.error, attempt_.error + scenario_run.explain()
    answer: HttpAnswer = attempt_.value
    print(f"GET {scenario_run.answers.acme_directory_url}: {answer.status} {answer.body}")
    assert answer.status == 200, answer.body
    directory = json.loads(answer.body)
    prefix = f"{scenario_run.answers.ca_url}/acme/{scenario_run.answers.acme_provisioner}/"
    assert directory["newOrder"] == prefix + "new-order"
    assert directory["newAccount"] == prefix + "new-account"


def test_provisioner_list_shows_durations(scenario_run: ScenarioRun) -> None:
    """step ca provisioner list reports the configured ACME durations."""
    attempt_ = scenario_run.provisioners
    assert not attempt_.error, attempt_.error + scenario_run.explain()
    provisioners: list[dict[str, Any]] = attempt_.value
    answers = scenario_run.answers
    acme = [item for item in provisioners if item.get("name") == answers.acme_provisioner]
    assert len(acme) == 1, f"provisioners: {[item.get('name') for item in provisioners]}"
    assert acme[0]["type"] == "ACME"
    admin = [item for item in provisioners if item.get("name") == answers.admin_provisioner]
    assert [item["type"] for item in admin] == ["JWK"]
    claims = acme[0]["claims"]
    print(f"{answers.acme_provisioner} claims: {claims}")
    assert parse_go_duration(claims["minTLSCertDuration"]) == parse_go_duration(
        answers.acme_min_duration)
    assert parse_go_duration(claims["defaultTLSCertDuration"]) == parse_go_duration(
        answers.acme_default_duration)
    assert parse_go_duration(claims["maxTLSCertDuration"]) == parse_go_duration(
        answers.acme_max_duration)


def test_certbot_certificate_default_validity(scenario_run: ScenarioRun) -> None:
    """certbot's http-01 certificate lives the default duration plus step-ca's backdate."""
    attempt_ = scenario_run.certbot
    assert not attempt_.error, attempt_.error + scenario_run.explain()
    certificate: x509.Certificate = attempt_.value
    validity = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    default = parse_go_duration(scenario_run.answers.acme_default_duration)
    print(f"certbot certificate for {ACME_IDENTIFIER}: notBefore "
          f"{certificate.not_valid_before_utc.isoformat()} notAfter "
          f"{certificate.not_valid_after_utc.isoformat()} validity {validity} "
          f"(default {scenario_run.answers.acme_default_duration} + {ORDER_BACKDATE} backdate)")
    # notAfter = now + default and notBefore = now - 1 minute, both cut to whole seconds
    # from the same instant, so the difference is exact.
    assert validity == default + ORDER_BACKDATE
    names = certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == [ACME_IDENTIFIER]


def test_order_over_maximum_rejected(scenario_run: ScenarioRun) -> None:
    """An ACME order for notAfter one hour past the maximum gets no certificate."""
    attempt_ = scenario_run.long_order
    assert not attempt_.error, attempt_.error + scenario_run.explain()
    result: dict[str, Any] = attempt_.value
    print(f"order over the maximum {scenario_run.answers.acme_max_duration}: stopped at "
          f"{result['stage']}: {result['error']}")
    assert result["stage"] in ("new-order", "finalize"), result
    log = read_tail(scenario_run.server.log_path, 400)
    reason = "is more than the authorized maximum certificate duration"
    matches = [line for line in log.splitlines() if reason in line]
    assert matches, f"step-ca logged no '{reason}' error:\n{log}"
    error_field = matches[-1].split('error="', 1)[-1].split('"', 1)[0]
    print(f"step-ca log: {error_field}")


def test_canary_passwords_never_leak(scenario_run: ScenarioRun) -> None:
    """The canary passwords appear in no log, state, output, history or /proc entry."""
    run = scenario_run
    # The CA must really use the canaries, or their absence below would prove nothing.
    ca_password = Path(run.answers.ca_password_path).read_text().rstrip()
    provisioner_password = Path(run.answers.provisioner_password_path).read_text().rstrip()
    assert ca_password == run.canaries[0], "the CA password file does not contain the canary"
    assert provisioner_password == run.canaries[1], (
        "the provisioner password file does not contain the canary")
    places = {
        "log file": run.log_file.read_text(errors="replace"),
        "state file": run.state_file.read_text(errors="replace"),
        "runner sink lines": "\n".join(run.sink_lines),
        "runner history": "\n".join(command for command, _status, _secs in
                                    run.ctx.runner.history),
        "step-ca log": run.server.log_path.read_text(errors="replace"),
    }
    assert places["log file"], "the log file is empty: setup_logging did not take effect"
    assert run.ctx.runner.history, "the runner recorded no command"
    for place, text in places.items():
        for canary in run.canaries:
            assert canary not in text, f"a canary password appears in the {place}"
    print(f"/proc sampled {run.sampler.samples} times")
    assert run.sampler.samples >= 20, "the /proc sampler barely ran"
    assert run.sampler.hits == [], f"canary in /proc: {run.sampler.hits}"


def test_canary_sampler_sees_leaks() -> None:
    """The /proc sampler reports a canary in a child's command line and environment."""
    canary = canary_value("Probe")
    sampler = CanarySampler([canary])
    children = [subprocess.Popen(["/bin/sleep", "30"], env={"PROBE": canary}),
                subprocess.Popen(["/bin/sh", "-c", f"/bin/sleep 30; : {canary}"])]
    sampler.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len({hit.file for hit in sampler.hits}) < 2:
            time.sleep(0.1)
    finally:
        sampler.stop()
        for child in children:
            child.kill()
            child.wait()
    found = {(hit.pid, hit.file) for hit in sampler.hits}
    assert (str(children[0].pid), "environ") in found, sampler.hits
    assert (str(children[1].pid), "cmdline") in found, sampler.hits


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-rA"]))
