"""Validation of one form through the Answers model, with each error placed on its field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from stepwizard.answers import Answers, format_validation_error
from stepwizard.i18n import _

# Pydantic error types that mean the operator left the field empty.
_EMPTY_TYPES = frozenset({"missing", "string_too_short", "too_short"})


@dataclass
class FormCheck:
    """Result of validating a form: the answers when valid, else the errors to show."""

    answers: Answers | None
    field_errors: dict[str, str] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)


def check_form(draft: Mapping[str, Any], values: Mapping[str, Any],
               hints: Mapping[str, str], deferred: frozenset[str] = frozenset()) -> FormCheck:
    """Validate ``draft`` updated with ``values``; errors on a field of ``hints`` go on it.

    ``hints`` maps each field of the form to its translated hint, used in the message for an
    empty field. ``deferred`` names fields that other forms edit: their errors are left to
    those forms (a prefilled value may be wrong), so they never lock this one. Errors on
    other fields and on relations between fields become form errors.
    """
    merged = {**draft, **values}
    try:
        return FormCheck(Answers.model_validate(merged))
    except ValidationError as error:
        elsewhere = {str(item["loc"][0]) for item in error.errors()
                     if item["loc"] and str(item["loc"][0]) in deferred}
        if not elsewhere:
            return _place_errors(error, hints)
    # Check this form again with the values the other forms will check replaced by defaults.
    trial = {name: value for name, value in merged.items() if name not in elsewhere}
    try:
        return FormCheck(Answers.model_validate(trial))
    except ValidationError as error:
        return _place_errors(error, hints)


def _place_errors(error: ValidationError, hints: Mapping[str, str]) -> FormCheck:
    """Split a validation error into messages under fields and messages for the whole form."""
    check = FormCheck(None)
    # format_validation_error returns one line per error item, in the same order.
    lines = format_validation_error(error)
    for item, line in zip(error.errors(), lines, strict=True):
        name = str(item["loc"][0]) if item["loc"] else ""
        if not name:
            # A rule across fields: its message names the fields and values itself.
            check.form_errors.append(field_message(item, ""))
        elif name not in hints:
            check.form_errors.append(line)
        elif name not in check.field_errors:
            check.field_errors[name] = field_message(item, hints[name])
    return check


def field_message(item: Mapping[str, Any], hint: str) -> str:
    """Return the message shown under a field for one pydantic error item."""
    if item["type"] in _EMPTY_TYPES:
        return _("This field is empty: {hint}").format(hint=hint)
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "value_error":
        # The model's own messages already name the value and the fix.
        return message
    return _("{message} (value: {value!r})").format(message=message, value=item.get("input"))
