"""Pilot walks of the dry run from the welcome screen to the summary, typing real answers."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Static
from ui_walk import (
    FORM_COUNT,
    log_lines,
    make_app,
    press,
    run_app,
    screen_text,
    to_forms,
    to_review,
    to_step,
    type_into,
)

from screens.finish import FinishScreen
from screens.form_durations import DurationsForm
from screens.form_identity import IdentityForm
from screens.form_passwords import PasswordsForm
from screens.form_provisioners import ProvisionersForm
from screens.form_repository import RepositoryForm
from screens.form_system import SystemForm
from screens.model import StepState
from screens.review import ReviewScreen
from screens.step_screen import StepScreen
from screens.welcome import WelcomeScreen


def note(pilot: Pilot[Any], name: str) -> str:
    """Return the text under the field ``name`` of the current form."""
    return str(pilot.app.screen.query_one(f"#note-{name}", Static).render())


def test_walk_every_screen_typed() -> None:
    """Typing every answer from an empty start reaches the summary with the typed values."""
    app = make_app(answers=None)
    seen: list[str] = []

    async def scenario(pilot: Pilot[Any]) -> None:
        assert isinstance(app.screen, WelcomeScreen)
        assert "DRY RUN" in screen_text(app)
        await press(pilot, "enter")

        assert isinstance(app.screen, IdentityForm)
        await type_into(pilot, "#field-ca_name", "Walk CA")
        await type_into(pilot, "#field-dns_names", "ca.walk.example, 192.0.2.7")
        await type_into(pilot, "#field-address", ":8443")
        await press(pilot, "ctrl+n")

        assert isinstance(app.screen, ProvisionersForm)
        await type_into(pilot, "#field-admin_provisioner", "boss")
        await type_into(pilot, "#field-acme_provisioner", "certs")
        await press(pilot, "ctrl+n")

        assert isinstance(app.screen, DurationsForm)
        await type_into(pilot, "#field-acme_min_duration", "1h")
        await type_into(pilot, "#field-acme_default_duration", "28d")
        assert note(pilot, "acme_default_duration") == "Go value: 672h"
        await type_into(pilot, "#field-acme_max_duration", "52w")
        await press(pilot, "ctrl+n")

        assert isinstance(app.screen, SystemForm)
        await type_into(pilot, "#field-service_user", "stepca")
        await press(pilot, "ctrl+n")

        assert isinstance(app.screen, RepositoryForm)
        await press(pilot, "ctrl+n")

        assert isinstance(app.screen, PasswordsForm)
        await press(pilot, "ctrl+n")

        assert isinstance(app.screen, ReviewScreen)
        review = screen_text(app)
        assert "[1/9] Prerequisites" in review
        await press(pilot, "n")

        while isinstance(app.screen, StepScreen):
            seen.append(app.screen.step.id)
            await press(pilot, "r", "n")

        assert isinstance(app.screen, FinishScreen)

    run_app(app, scenario)

    assert seen == [step.id for step in app.steps]
    assert app.draft["ca_name"] == "Walk CA"
    assert app.draft["dns_names"] == ["ca.walk.example", "192.0.2.7"]
    assert app.draft["acme_default_duration"] == "672h"
    assert app.draft["acme_max_duration"] == "8736h"
    assert app.draft["service_user"] == "stepca"
    assert all(state is StepState.DRY_RUN for state in app.step_states.values())
    assert app.context is not None
    assert app.context.answers.ca_url == "https://ca.walk.example:8443"
    assert app.context.ca_password is None


def test_finish_shows_ca_facts() -> None:
    """The dry-run summary shows the CA URL, the ACME directory and the client command."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_step(pilot, 9)
        await press(pilot, "r", "n")
        text = screen_text(app)
        assert "https://ca.test.example" in text
        assert "https://ca.test.example/acme/acme/directory" in text
        assert "step ca bootstrap --ca-url https://ca.test.example" in text
        assert "Dry run finished" in text
        await press(pilot, "q")

    run_app(app, scenario)
    assert app.return_code == 0


def test_dry_run_step_shows_would_run() -> None:
    """Run in a dry run writes the plan as 'would run' and marks the step dry-run."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_step(pilot, 3)
        assert app.screen.query_one("#next", Button).disabled
        await press(pilot, "r")
        lines = log_lines(app)
        assert any("would run" in line for line in lines)
        assert any("useradd --system" in line for line in lines)
        assert app.step_states["service-user"] is StepState.DRY_RUN
        assert not app.screen.query_one("#next", Button).disabled
        assert "~ 3 Service user" in screen_text(app)

    run_app(app, scenario)


def test_skip_marks_step_skipped() -> None:
    """Skip marks the step skipped in the sidebar and opens the next step."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_step(pilot, 1)
        await press(pilot, "s")
        assert isinstance(app.screen, StepScreen)
        assert app.screen.step.id == "repository"
        assert "» 1 Prerequisites" in screen_text(app)

    run_app(app, scenario)
    assert app.step_states["prerequisites"] is StepState.SKIPPED


def test_back_keeps_typed_values() -> None:
    """Going back from the review returns to the forms as the operator left them."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_forms(pilot, 1)
        await type_into(pilot, "#field-ca_name", "Changed CA")
        await press(pilot, "ctrl+n", "escape")
        assert isinstance(app.screen, IdentityForm)
        assert "Changed CA" in screen_text(app)
        await to_review_from_identity(pilot)
        assert app.context is not None
        assert app.context.answers.ca_name == "Changed CA"

    async def to_review_from_identity(pilot: Pilot[Any]) -> None:
        for _ in range(FORM_COUNT):
            await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ReviewScreen)

    run_app(app, scenario)


def test_review_scrolls_whole_plan() -> None:
    """The review plan scrolls with the keyboard down to the last step."""
    app = make_app()

    async def scenario(pilot: Pilot[Any]) -> None:
        await to_review(pilot)
        assert "[9/9] Summary" not in screen_text(app)
        await press(pilot, "end")
        assert "[9/9] Summary" in screen_text(app)

    run_app(app, scenario)
