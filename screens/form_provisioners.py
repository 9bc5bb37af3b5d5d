"""Form: the admin and ACME provisioners and remote management."""

from __future__ import annotations

from textual import on
from textual.widgets import Input, Switch

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

    @on(Switch.Changed, "#field-remote_management")
    def _remote_management_switched(self, event: Switch.Changed) -> None:
        """Disable the admin subject while remote management, which needs it, is off."""
        self.query_one("#field-admin_subject", Input).disabled = not event.value

    def on_mount(self) -> None:
        """Start with the admin subject disabled when remote management is off."""
        super().on_mount()
        remote = self.query_one("#field-remote_management", Switch).value
        self.query_one("#field-admin_subject", Input).disabled = not remote
