"""Invalid answers are caught on their form, with the value and the fix under the field."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Label, Static, Switch
from ui_walk import make_app, press, run_app, to_forms, type_into

from screens.form_durations import DurationsForm
from screens.form_identity import IdentityForm
from screens.form_passwords import PasswordsForm
from screens.form_provisioners import ProvisionersForm
from screens.form_repository import RepositoryForm


def note(pilot: Pilot[Any], name: str) -> str:
    """Return the text under the field ``name`` of the current form."""
    return str(pilot.app.screen.query_one(f"#note-{name}", Static).render())


def test_bad_dns_name_rejected() -> None:
    """A DNS name with an underscore stays on the form with the name and the rule."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 1)
        await type_into(pilot, "#field-dns_names", "ca.test.example, bad_name.example")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, IdentityForm)
        message = note(pilot, "dns_names")
        assert "'bad_name.example' is neither a host name" in message
        assert "RFC 1123" in message
        assert app.screen.query_one("#field-dns_names", Input).has_focus

    run_app(app, scenario)


def test_empty_ca_name_rejected() -> None:
    """An empty CA name says the field is empty and gives an example."""
    app = make_app(answers=None)

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 1)
        await type_into(pilot, "#field-dns_names", "ca.test.example")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, IdentityForm)
        assert note(pilot, "ca_name").startswith("the CA name is empty: type the name written")

    run_app(app, scenario)


def test_bind_address_without_port() -> None:
    """A bind address without a port names the value and shows the host:port form."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 1)
        await type_into(pilot, "#field-address", "localhost")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, IdentityForm)
        assert "bind address 'localhost' has no port" in note(pilot, "address")

    run_app(app, scenario)


def test_error_clears_once_fixed() -> None:
    """Fixing a rejected value clears its error and moves to the next form."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 1)
        await type_into(pilot, "#field-dns_names", "-bad-")
        await press(pilot, "ctrl+n")
        assert "'-bad-'" in note(pilot, "dns_names")
        await type_into(pilot, "#field-dns_names", "ca.test.example")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ProvisionersForm)

    run_app(app, scenario)


def test_same_provisioner_names_rejected() -> None:
    """The same name for both provisioners is refused with both roles named."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 2)
        await type_into(pilot, "#field-acme_provisioner", "admin")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ProvisionersForm)
        message = note(pilot, "acme_provisioner")
        assert "both named 'admin'" in message
        assert "give them different names" in message

    run_app(app, scenario)


def test_provisioner_name_with_space() -> None:
    """A provisioner name with a space names the value and the allowed characters."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 2)
        await type_into(pilot, "#field-admin_provisioner", "my admin")
        await press(pilot, "ctrl+n")
        assert "'my admin' is not a usable name" in note(pilot, "admin_provisioner")

    run_app(app, scenario)


def test_duration_converted_live() -> None:
    """Typing 28d shows the Go value 672h under the field before Next is pressed."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 3)
        await type_into(pilot, "#field-acme_default_duration", "28d")
        assert note(pilot, "acme_default_duration") == "Go value: 672h"
        await type_into(pilot, "#field-acme_default_duration", "1d12h")
        assert note(pilot, "acme_default_duration") == "Go value: 36h"

    run_app(app, scenario)


def test_duration_unknown_unit_rejected() -> None:
    """28x is flagged as it is typed and refused by Next, naming the unit and Go's units."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 3)
        await type_into(pilot, "#field-acme_default_duration", "28x")
        live = note(pilot, "acme_default_duration")
        assert "The duration '28x' has the unknown unit 'x'" in live
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, DurationsForm)
        message = note(pilot, "acme_default_duration")
        assert "unknown unit 'x'" in message
        assert "ns, us, ms, s, m, h" in message

    run_app(app, scenario)


def test_minimum_above_default_rejected() -> None:
    """A minimum longer than the default is refused with both Go values and the fix."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 3)
        await type_into(pilot, "#field-acme_min_duration", "30d")
        await type_into(pilot, "#field-acme_default_duration", "28d")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, DurationsForm)
        message = note(pilot, "acme_max_duration")
        assert "minimum duration 720h is greater than the default duration 672h" in message
        assert "lower the minimum or raise the default" in message

    run_app(app, scenario)


def test_default_above_maximum_rejected() -> None:
    """A default longer than the maximum is refused on the durations form."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 3)
        await type_into(pilot, "#field-acme_max_duration", "1d")
        await press(pilot, "ctrl+n")
        assert "default duration 672h is greater than the maximum duration 24h" in \
            note(pilot, "acme_max_duration")

    run_app(app, scenario)


def test_bad_key_fingerprint_rejected() -> None:
    """A key fingerprint that is not 40 hex digits shows where to copy it from."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 5)
        await type_into(pilot, "#field-repository_key_fingerprint", "ABCD")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, RepositoryForm)
        assert "'ABCD' is not 40 hexadecimal digits" in note(pilot, "repository_key_fingerprint")

    run_app(app, scenario)


def test_different_passwords_rejected() -> None:
    """Two different typed passwords keep the operator on the password form."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)
        await press(pilot, "space")
        await type_into(pilot, "#password", "first-secret")
        await type_into(pilot, "#password-again", "other-secret")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PasswordsForm)
        assert "The two passwords differ" in note(pilot, "password")
        assert app.ca_password is None

    run_app(app, scenario)


def test_empty_typed_password_rejected() -> None:
    """Choosing to type the password and leaving it empty explains how to generate one."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)
        await press(pilot, "space", "ctrl+n")
        assert isinstance(app.screen, PasswordsForm)
        assert "The CA password is empty" in note(pilot, "password")

    run_app(app, scenario)


def test_short_typed_password_rejected() -> None:
    """A typed CA password under 12 characters is refused with the generated alternative."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 6)
        await press(pilot, "space")
        await type_into(pilot, "#password", "short-pw")
        await type_into(pilot, "#password-again", "short-pw")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PasswordsForm)
        assert "has 8 characters; use at least 12" in note(pilot, "password")
        assert app.ca_password is None

    run_app(app, scenario)


def test_admin_subject_follows_remote_management() -> None:
    """Switching remote management off disables the admin subject, which only it uses."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 2)
        subject = app.screen.query_one("#field-admin_subject", Input)
        assert not subject.disabled
        app.screen.query_one("#field-remote_management", Switch).focus()
        await press(pilot, "space")
        assert subject.disabled
        assert "off" in str(app.screen.query_one(".switch-state", Label).render())

    run_app(app, scenario)


def test_invalid_prefill_does_not_lock_first_form() -> None:
    """A wrong prefilled duration waits for its own form instead of blocking the first one."""
    app = make_app(answers=None)
    app.draft.update({"ca_name": "Lab CA", "dns_names": ["ca.lab.example"],
                      "acme_default_duration": "3 jours"})

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 1)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ProvisionersForm)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, DurationsForm)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, DurationsForm)
        assert "3 jours" in note(pilot, "acme_default_duration")

    run_app(app, scenario)


def test_invalid_hidden_prefill_reset() -> None:
    """A prefilled value no form shows is reset to its default and reported."""
    from screens.model import drop_invalid_hidden

    draft = {"ca_name": "Lab", "dns_names": ["ca.lab.example"], "reinitialize": "yes",
             "password_file": "relative.txt"}
    problems = drop_invalid_hidden(draft, {"ca_name", "dns_names"})
    assert draft["reinitialize"] is False
    assert draft["password_file"] is None
    assert any(line.startswith("reinitialize") for line in problems)
    assert any(line.startswith("password_file") for line in problems)
