"""Step screen: the ACME provisioner."""

from __future__ import annotations

from screens.step_screen import StepScreen
from stepwizard.i18n import N_


class AcmeScreen(StepScreen):
    """Shows and runs the step for the ACME provisioner."""

    ADVICE = N_("The CA must be running: with remote management only its admin API adds "
                "provisioners; without it, ca.json is changed and step-ca reloaded.")
