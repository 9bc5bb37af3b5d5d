"""Step 5: merge the hardening overlay into ca.json without losing anything init wrote."""

from __future__ import annotations

import json
from pathlib import Path

from stepwizard import safefs
from stepwizard.caconfig import (
    dumps_ca_config,
    harden,
    is_badger_database,
    load_ca_config,
    unified_diff,
    write_atomically,
)
from stepwizard.context import Context
from stepwizard.i18n import N_, _
from stepwizard.plan import Plan
from stepwizard.secrets import REDACTOR
from stepwizard.steps.base import Step


def hardened_text(ctx: Context) -> tuple[str, str]:
    """Return ca.json's current text and its hardened version."""
    path = Path(ctx.answers.ca_json_path)
    current = safefs.read_text(path)
    config = load_ca_config(path)
    # A MySQL or PostgreSQL dataSource carries the database password; diffs show it as context.
    if config.db is not None and config.db.data_source and not is_badger_database(config) \
            and str(config.db.type).lower() != "bbolt":
        source = str(config.db.data_source)
        # The file may spell the value with JSON escapes: Go writes & < > as \u0026 and so on.
        for spelling in (source, json.dumps(source)[1:-1],
                         json.dumps(source, ensure_ascii=False)[1:-1],
                         json.dumps(source)[1:-1].replace("&", "\\u0026")
                         .replace("<", "\\u003c").replace(">", "\\u003e")):
            REDACTOR.register(spelling)
    config = harden(config, enable_admin=ctx.answers.remote_management)
    return current, dumps_ca_config(config)


class Hardening(Step):
    """Applies TLS 1.2-1.3 with ECDHE AEAD suites, text logs and, for badger, FileIO."""

    id = "hardening"
    title = N_("Hardened configuration")
    summary = N_("Restrict TLS to versions 1.2 and 1.3 with ECDHE AEAD cipher suites, turn "
                 "renegotiation off, log as text; provisioners and the database stay as init "
                 "wrote them.")

    def plan(self, ctx: Context) -> Plan:
        """Show the diff of ca.json when it exists, or describe the merge."""
        plan = Plan()
        path = Path(ctx.answers.ca_json_path)
        if path.exists():
            current, new = hardened_text(ctx)
            diff = unified_diff(current, new, str(path))
            if diff:
                plan.notes.append(_("changes to {path} (a timestamped backup is kept):").format(
                    path=path))
                plan.notes.extend(diff.rstrip("\n").splitlines())
            else:
                plan.notes.append(_("{path} is already hardened").format(path=path))
        plan.write(ctx.answers.ca_json_path, None, owner=ctx.answers.service_user,
                   group=ctx.answers.service_user, mode=0o644,
                   purpose=_("ca.json merged with the hardening overlay"))
        return plan

    def is_done(self, ctx: Context) -> bool:
        """Tell whether ca.json already contains the overlay."""
        path = Path(ctx.answers.ca_json_path)
        if not path.exists():
            return False
        current, new = hardened_text(ctx)
        return current == new

    def apply(self, ctx: Context) -> None:
        """Show the diff, back up ca.json, and write the merged file atomically."""
        path = Path(ctx.answers.ca_json_path)
        current, new = hardened_text(ctx)
        diff = unified_diff(current, new, str(path))
        for line in diff.splitlines():
            ctx.say(line)
        if current == new:
            return
        backup = write_atomically(path, new, backup=True)
        if backup is not None:
            ctx.say(_("backup: {path}").format(path=backup))
