"""Measure how fast stepwizard starts and how much memory it takes, for BENCHMARKS.md.

Run from the clone with the project's virtual environment:

    .venv/bin/python benchmarks/startup.py [--runs N]

It times `stepwizard plan --answers examples/answers.toml` (the engine alone, no UI) and the
wizard's first screen in Textual's headless mode, and prints the median and worst wall-clock
time and the peak resident memory of each. Targets: plan under 1 s, first screen under 2 s,
both under 150 MiB, on the 2-core machine the project's CI uses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "examples" / "answers.toml"

# Runs the command given as arguments and prints its peak RSS in KiB, so that each
# measurement gets its own figure rather than the maximum of everything run before.
PEAK_OF_CHILD = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)

FIRST_SCREEN = """
import asyncio, sys
from screens.app import WizardApp
async def main() -> None:
    app = WizardApp(dry_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
asyncio.run(main())
"""


def measure(argv: list[str], runs: int) -> tuple[float, float, float]:
    """Run ``argv`` ``runs`` times; return median and worst seconds and peak RSS in MiB."""
    times: list[float] = []
    peak_kib = 0
    for _ in range(runs):
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "XDG_STATE_HOME": folder}
            output = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, *argv], check=True,
                                    capture_output=True, text=True, env=env).stdout
        times.append(time.perf_counter() - started)
        peak_kib = max(peak_kib, int(output.split()[-1]))
    return statistics.median(times), max(times), peak_kib / 1024


def main() -> int:
    """Print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per measurement")
    args = parser.parse_args()
    stepwizard = str(Path(sys.executable).parent / "stepwizard")
    with tempfile.TemporaryDirectory() as folder:
        log = str(Path(folder) / "log")
        cases = {
            "plan (engine only)": [stepwizard, "plan", "--answers", str(ANSWERS),
                                   "--log-file", log],
            "first screen (headless, 80x24)": [sys.executable, "-c", FIRST_SCREEN],
        }
        for name, argv in cases.items():
            median, worst, peak = measure(argv, args.runs)
            print(f"{name}: median {median:.2f} s, worst {worst:.2f} s, "
                  f"peak RSS {peak:.0f} MiB ({args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
