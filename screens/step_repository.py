"""Step screen: smallstep's apt repository and packages."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class RepositoryScreen(StepScreen):
    """Shows and runs the step for smallstep's apt repository and packages."""

    ADVICE = N_("Without an expected key fingerprint, you are asked to "
                "confirm the fingerprint of the downloaded key.")
