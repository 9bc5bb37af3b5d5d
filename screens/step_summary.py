"""Step screen: the final checks of the running CA."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class SummaryScreen(StepScreen):
    """Shows and runs the step for the final checks of the running CA."""

    ADVICE = N_("After it, the next screen shows the root fingerprint "
                "clients pin.")
