"""Step screen: the host checks and the tools the setup needs."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class PrerequisitesScreen(StepScreen):
    """Shows and runs the step for the host checks and the tools the setup needs."""

    ADVICE = N_("The checks only read the host; a blocking problem stops "
                "the step with its fix.")
