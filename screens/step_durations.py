"""Step screen: the ACME certificate lifetimes."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class DurationsScreen(StepScreen):
    """Shows and runs the step for the ACME certificate lifetimes."""

    ADVICE = N_("The lifetimes are the Go durations shown in the "
                "durations form.")
