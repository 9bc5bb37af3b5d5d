"""Form: the lifetimes of ACME certificates, typed as days or Go durations."""

from __future__ import annotations

from screens.form_screen import FieldSpec, FormScreen
from stepwizard.i18n import N_


class DurationsForm(FormScreen):
    """The ACME certificate lifetime answers, shown converted to Go durations as typed."""

    HEADING = N_("Certificate durations")
    INTRO = N_("Lifetimes of ACME certificates. Units: w, d, h, m, s; 28d is 672h. "
               "Minimum <= default <= maximum.")
    FIELDS = (
        FieldSpec("acme_min_duration", N_("Minimum"),
                  N_("Shortest lifetime a client may request, e.g. 5m."), kind="duration"),
        FieldSpec("acme_default_duration", N_("Default"),
                  N_("Lifetime when the client requests none, e.g. 28d."), kind="duration"),
        FieldSpec("acme_max_duration", N_("Maximum"),
                  N_("Longest lifetime a client may request, e.g. 365d."), kind="duration"),
    )
