"""The error a step raises when it cannot go on.

It lives outside the ``stepwizard.steps`` package so that ``stepwizard.ca_client``, which
the steps import, can raise it without importing the package (that import was circular).
"""

from __future__ import annotations


class StepError(RuntimeError):
    """A step cannot go on; the message says what failed, on which value, and what to do."""
