"""Step screen: the hardened TLS settings of ca.json."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class HardeningScreen(StepScreen):
    """Shows and runs the step for the hardened TLS settings of ca.json."""

    ADVICE = N_("The diff in the plan shows every line that changes; a timestamped "
                "backup of ca.json is kept.")
