"""Form: where the CA keeps its files and which system user runs it."""

from __future__ import annotations

from screens.form_screen import FieldSpec, FormScreen
from stepwizard.i18n import N_


class SystemForm(FormScreen):
    """The STEPPATH and service user answers."""

    HEADING = N_("System")
    INTRO = N_("Where the CA's files live on this host and who owns them.")
    FIELDS = (
        FieldSpec("steppath", N_("STEPPATH"),
                  N_("Absolute folder for the CA's files, e.g. /etc/step-ca.")),
        FieldSpec("service_user", N_("Service user"),
                  N_("System user step-ca runs as (not root), e.g. step.")),
    )
