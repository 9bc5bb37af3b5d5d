"""Form: the admin and ACME provisioners and remote management."""

from __future__ import annotations

from screens.form_screen import FieldSpec, FormScreen
from stepwizard.i18n import N_


class ProvisionersForm(FormScreen):
    """The provisioner answers."""

    HEADING = N_("Provisioners")
    INTRO = N_("Who may ask the CA for certificates, and how it is administered.")
    FIELDS = (
        FieldSpec("admin_provisioner", N_("Admin provisioner"),
                  N_("JWK provisioner that authenticates admins, e.g. admin.")),
        FieldSpec("acme_provisioner", N_("ACME provisioner"),
                  N_("Part of the ACME directory URL, e.g. acme.")),
        FieldSpec("remote_management", N_("Remote management"),
                  N_("On: manage provisioners through the CA's admin API."),
                  kind="switch"),
        FieldSpec("admin_subject", N_("Admin subject"),
                  N_("First super admin (remote management only), e.g. step.")),
    )
