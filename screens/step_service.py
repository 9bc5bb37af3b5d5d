"""Step screen: the sandboxed systemd service."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class ServiceScreen(StepScreen):
    """Shows and runs the step for the sandboxed systemd service."""

    ADVICE = N_("The step waits until the CA answers on its health "
                "endpoint.")
