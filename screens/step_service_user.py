"""Step screen: the system user step-ca runs as."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class ServiceUserScreen(StepScreen):
    """Shows and runs the step for the system user step-ca runs as."""

    ADVICE = N_("An existing user of that name is reused when its home "
                "folder is STEPPATH.")
