"""Progress saved after each step so a re-run after a dropped connection resumes."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from stepwizard.i18n import _

log = logging.getLogger(__name__)

DEFAULT_STATE_PATH = Path("/var/lib/stepwizard/state.json")
# A state file holds a few kilobytes; anything bigger is not one.
MAX_STATE_BYTES = 1024 * 1024


class StateFileError(RuntimeError):
    """The state file cannot be read or written; the message names it and the fix."""


class StepStatus(StrEnum):
    """Where a step stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class StateStore:
    """A JSON file of the answers and each step's status; it never holds a secret."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, Any] = {"version": 1, "answers": None, "steps": {}, "facts": {}}
        if path is not None and path.exists():
            if not path.is_file():
                raise StateFileError(_("the state file {path} is not a regular file: choose "
                                       "another with --state-file").format(path=path))
            try:
                with path.open("rb") as handle:
                    raw = handle.read(MAX_STATE_BYTES + 1)
                loaded = json.loads(raw) if len(raw) <= MAX_STATE_BYTES else None
            except OSError as error:
                raise StateFileError(_("cannot read the state file {path}: {error}; choose "
                                       "another with --state-file").format(
                                           path=path, error=error.strerror)) from error
            except ValueError as error:
                log.warning("ignoring unreadable state file %s: %s", path, error)
                return
            if not (isinstance(loaded, dict) and isinstance(loaded.get("steps", {}), dict)
                    and isinstance(loaded.get("facts", {}), dict)):
                log.warning("ignoring state file %s: not a stepwizard state", path)
                return
            self.data.update(loaded)

    @property
    def answers(self) -> dict[str, Any] | None:
        """The answers of the interrupted run, as plain JSON values."""
        value = self.data.get("answers")
        return value if isinstance(value, dict) else None

    def status(self, step_id: str) -> StepStatus:
        """Return the recorded status of a step."""
        entry = self.data["steps"].get(step_id, {})
        try:
            return StepStatus(entry.get("status", "pending"))
        except ValueError:
            return StepStatus.PENDING

    def record(self, step_id: str, status: StepStatus, detail: str = "") -> None:
        """Store a step's status with the time, then save."""
        self.data["steps"][step_id] = {
            "status": status.value, "detail": detail,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.save()

    def set_answers(self, answers: dict[str, Any]) -> None:
        """Store the answers (JSON-ready, secret-free), then save.

        Progress and facts of a run for another STEPPATH describe another CA, so they are
        dropped.
        """
        previous = self.answers
        if previous is not None and previous.get("steppath") != answers.get("steppath"):
            self.data["steps"] = {}
            self.data["facts"] = {}
        self.data["answers"] = answers
        self.save()

    def set_fact(self, name: str, value: str) -> None:
        """Store a public fact found while running (the root fingerprint), then save."""
        self.data["facts"][name] = value
        self.save()

    def fact(self, name: str) -> str | None:
        """Return a stored fact."""
        value = self.data["facts"].get(name)
        return value if isinstance(value, str) else None

    def save(self) -> None:
        """Write the state atomically with mode 0600; no-op without a path (dry-run)."""
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
        except OSError as error:
            raise StateFileError(_("cannot write the state file {path}: {error}; choose "
                                   "another with --state-file").format(
                                       path=self.path, error=error.strerror)) from error
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(self.data, handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except OSError as error:
            raise StateFileError(_("cannot write the state file {path}: {error}; choose "
                                   "another with --state-file").format(
                                       path=self.path, error=error.strerror)) from error
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
