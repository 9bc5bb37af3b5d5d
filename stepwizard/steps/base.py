"""The interface every wizard step implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from stepwizard.context import Context
from stepwizard.errors import StepError
from stepwizard.plan import Plan

__all__ = ["Step", "StepError"]


class Step(ABC):
    """One stage of the setup: what it would do, whether it is done, and how to do it."""

    id: ClassVar[str]
    # Marked with N_ in each subclass and translated where it is shown.
    title: ClassVar[str]
    summary: ClassVar[str]

    @abstractmethod
    def plan(self, ctx: Context) -> Plan:
        """Describe the commands and file writes ``apply`` would perform; change nothing."""

    @abstractmethod
    def is_done(self, ctx: Context) -> bool:
        """Tell, by inspecting the host, whether the step's result is already in place."""

    @abstractmethod
    def apply(self, ctx: Context) -> None:
        """Perform the step; raise StepError or CommandError on failure."""
