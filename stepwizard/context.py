"""What every step receives: the answers, the command runner, the operator and the state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stepwizard.answers import Answers
from stepwizard.interaction import Interaction
from stepwizard.runner import Runner
from stepwizard.secrets import REDACTOR, Secret
from stepwizard.state import StateStore


@dataclass
class Context:
    """Shared inputs of a run; ``ca_password`` and friends stay in memory only."""

    answers: Answers
    runner: Runner
    interaction: Interaction
    state: StateStore
    log_file: Path | None = None
    ca_password: Secret | None = None
    provisioner_password: Secret | None = None
    # Paths of binaries, overridable so a host with them elsewhere still works.
    step_binary: str = "step"
    step_ca_binary: str = "/usr/bin/step-ca"
    # How long to wait for step-ca to answer after a start, in seconds.
    start_timeout: float = 60.0

    def __post_init__(self) -> None:
        for secret in (self.ca_password, self.provisioner_password):
            if secret is not None:
                REDACTOR.register(secret)

    def step_env(self) -> dict[str, str]:
        """Return the environment step and step-ca need: STEPPATH and the service user's HOME."""
        return {"STEPPATH": str(self.answers.steppath), "HOME": str(self.answers.steppath)}

    def say(self, text: str) -> None:
        """Show a progress line to the operator."""
        self.runner.emit(text)
