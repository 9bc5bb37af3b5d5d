"""stepwizard: sets up a hardened smallstep step-ca on a Debian host."""

__version__ = "0.1.0"
