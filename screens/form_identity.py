"""Form: the CA's name, the names clients reach it by, and the address it listens on."""

from __future__ import annotations

from screens.form_screen import FieldSpec, FormScreen
from stepwizard.i18n import N_


class IdentityForm(FormScreen):
    """The CA identity answers."""

    HEADING = N_("CA identity")
    INTRO = N_("How the CA names itself and how clients reach it.")
    FIELDS = (
        FieldSpec("ca_name", N_("CA name"),
                  N_("Written into the root and intermediate certificates.")),
        FieldSpec("dns_names", N_("DNS names / IPs"),
                  N_("Comma-separated; the first one forms the CA URL.")),
        FieldSpec("address", N_("Bind address"),
                  N_("host:port; :443 listens on every address.")),
    )
