"""The wizard's steps, in the order they run.

The CA is started (service) before the ACME provisioner and the durations are set, because
with remote management step-ca keeps provisioners in its database and only its admin API,
reached while it runs, changes them.
"""

from __future__ import annotations

from stepwizard.steps.acme import AcmeProvisioner
from stepwizard.steps.base import Step, StepError
from stepwizard.steps.ca_init import CaInit
from stepwizard.steps.durations import Durations
from stepwizard.steps.hardening import Hardening
from stepwizard.steps.prerequisites import Prerequisites
from stepwizard.steps.repository import Repository
from stepwizard.steps.service import Service
from stepwizard.steps.service_user import ServiceUser
from stepwizard.steps.summary import Summary

__all__ = ["ALL_STEPS", "Step", "StepError", "all_steps"]


def all_steps() -> list[Step]:
    """Return a fresh instance of every step, in order."""
    return [Prerequisites(), Repository(), ServiceUser(), CaInit(), Hardening(), Service(),
            AcmeProvisioner(), Durations(), Summary()]


ALL_STEPS: tuple[str, ...] = tuple(step.id for step in all_steps())
