"""Scan /proc/*/cmdline and /proc/*/environ for canary passwords until SIGTERM.

Runs inside the test bed as root under the bed's own /usr/bin/python3 (standard library
only). The canaries are read from files, never from the command line or the environment,
so the sampler cannot find them in its own /proc entries.

Usage: python3 canary_sampler.py REPORT_FILE CANARY_FILE...

The script writes its PID to REPORT_FILE.pid, then scans every INTERVAL_SECONDS. On SIGTERM
it writes REPORT_FILE as JSON: ``samples`` (number of full scans) and ``hits`` (one object
per process file that contained a canary, with ``pid``, ``file`` and ``command``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

INTERVAL_SECONDS = 0.05


def scan(needles: list[bytes], hits: list[dict[str, str]]) -> None:
    """Record every live process whose cmdline or environ contains a needle."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        for name in ("cmdline", "environ"):
            try:
                data = (entry / name).read_bytes()
            except OSError:
                # The process ended, or it is a kernel thread without these files.
                continue
            if any(needle in data for needle in needles):
                try:
                    command = (entry / "comm").read_text().strip()
                except OSError:
                    command = ""
                hits.append({"pid": entry.name, "file": name, "command": command})


def main(report: Path, canary_files: list[Path]) -> None:
    """Sample until SIGTERM, then write the report."""
    needles = [path.read_bytes().strip() for path in canary_files]
    if not all(needles):
        raise SystemExit(f"an empty canary file among {canary_files}")
    hits: list[dict[str, str]] = []
    samples = 0
    running = True

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    report.with_name(report.name + ".pid").write_text(f"{os.getpid()}\n")
    while running:
        scan(needles, hits)
        samples += 1
        time.sleep(INTERVAL_SECONDS)
    temporary = report.with_name(report.name + ".tmp")
    temporary.write_text(json.dumps({"samples": samples, "hits": hits}))
    temporary.replace(report)


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(argument) for argument in sys.argv[2:]])
