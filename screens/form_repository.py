"""Form: smallstep's apt repository and the signing key that vouches for it."""

from __future__ import annotations

from screens.form_screen import FieldSpec, FormScreen
from stepwizard.i18n import N_


class RepositoryForm(FormScreen):
    """The apt repository answers."""

    HEADING = N_("Repository")
    INTRO = N_("Where step-cli and step-ca are installed from, and how their key is checked.")
    FIELDS = (
        FieldSpec("repository_url", N_("Repository URL"),
                  N_("https:// URI of smallstep's apt repository.")),
        FieldSpec("repository_key_url", N_("Key URL"),
                  N_("https:// URL of the repository's OpenPGP signing key.")),
        FieldSpec("repository_key_fingerprint", N_("Key fingerprint"),
                  N_("Optional, 40 hex digits; if empty you confirm the key.")),
    )
