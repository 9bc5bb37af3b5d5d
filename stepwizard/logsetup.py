"""The log file: every command, exit status and duration, with secrets masked."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from stepwizard.secrets import REDACTOR, RedactingFilter

DEFAULT_LOG_FILE = Path("/var/log/stepwizard/stepwizard.log")


def default_log_file(dry_run: bool) -> Path:
    """Return the default log path: /var/log for real runs, the user's state folder otherwise.

    A dry run leaves the system's folders alone, also when root starts it.
    """
    if not dry_run:
        return DEFAULT_LOG_FILE
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "stepwizard" / "stepwizard.log"


def setup_logging(path: Path) -> Path:
    """Send all stepwizard logging to ``path`` (mode 0600), redacted; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(REDACTOR))
    # A full disk or a vanished log file must not print a traceback per log call.
    logging.raiseExceptions = False
    root = logging.getLogger("stepwizard")
    root.setLevel(logging.INFO)
    root.handlers = [handler]
    root.propagate = False
    return path
