"""Step screen: the PKI created by step ca init."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class CaInitScreen(StepScreen):
    """Shows and runs the step for the PKI created by step ca init."""

    ADVICE = N_("If STEPPATH already holds a PKI, you are asked before it is "
                "moved to a backup folder.")
