"""The « Plan d'action » page: the coordination drafts the year's plan from an adopted
decision, the secretariat validates it at a comité de pilotage, everyone reads it and its
spreadsheet; a draft is marked « non validé »."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.states.test_action_plan_transitions import PlanCast, cast  # noqa: F401 - fixture
from tests.web.http_pages import page_client
from tests.web.pages import Browser, visible_text

PAGE = "/action-plan?year=2026"


async def _signed_in(client: httpx.AsyncClient, user: object) -> Browser:
    browser = Browser(client)
    await browser.log_in(user)  # type: ignore[arg-type]
    return browser


async def test_the_plan_is_drafted_submitted_validated_and_read(
    app: FastAPI,
    client: httpx.AsyncClient,
    cast: PlanCast,  # noqa: F811 - the fixture
) -> None:
    coordination = await _signed_in(client, cast.world.coordinator)
    empty = await coordination.read(PAGE)
    assert "Aucun plan d'action n'a été préparé pour 2026." in empty
    assert "Préparer le plan d'action 2026" in empty
    opened = await coordination.post("/action-plan/plans", {"year": "2026"})
    assert opened.status_code == 303, visible_text(opened.text)
    page = await coordination.read(PAGE)
    assert "non validé" in page and "Ajouter une action" in page
    twice = await coordination.post("/action-plan/plans", {"year": "2026"})
    assert twice.status_code == 409
    assert "Un plan d'action est déjà en préparation" in visible_text(twice.text)
    html = (await coordination.get(PAGE)).text
    plan_id = int(html.split('action="/action-plan/plans/')[1].split("/")[0])

    item = {
        "item-title": "Forum de l'emploi des jeunes",
        "item-sub_axis": "2.1",
        "item-lead_organisation_id": str(cast.world.receiver.id),
        "item-due_on": "2026-11-30",
        "item-target_indicator": "meetings_held",
        "item-target_value": "4",
    }
    missing = await coordination.post(f"/action-plan/plans/{plan_id}/items", item)
    assert missing.status_code == 422
    assert 'id="item-decision_id-erreur"' in missing.text
    added = await coordination.post(
        f"/action-plan/plans/{plan_id}/items", {**item, "item-decision_id": str(cast.decision_id)}
    )
    assert added.status_code == 303, visible_text(added.text)
    page = await coordination.read(PAGE)
    assert "2.1 — Rapprocher l'offre et la demande d'emploi" in page
    assert "Forum de l'emploi des jeunes" in page and "EPI Paris Centre" in page
    assert "Réunions tenues : 4" in page and "30 novembre 2026" in page
    submitted = await coordination.post(f"/action-plan/plans/{plan_id}/actions/submit", {})
    assert submitted.status_code == 303
    told = await coordination.read(submitted.headers["location"])
    assert (
        "Plan d'action soumis au comité de pilotage. Prochaine étape pour Secrétariat des "
        "comités : faire valider le plan d'action par le comité de pilotage, ou le renvoyer."
    ) in told
    page = await coordination.read(PAGE)
    assert "Soumis au comité de pilotage" in page and "Valider (comité de pilotage)" not in page

    async with page_client(app) as other:
        clerk = await _signed_in(other, cast.secretary)
        assert "Valider (comité de pilotage)" in await clerk.read(PAGE)
        validated = await clerk.post(
            f"/action-plan/plans/{plan_id}/actions/validate",
            {"validate-meeting_id": str(cast.past_pilotage)},
        )
        assert validated.status_code == 303, visible_text(validated.text)

    async with page_client(app) as third:
        member = await _signed_in(third, cast.world.referrer)
        page = await member.read(PAGE)
        assert "Le plan de l'année" in page and "non validé" not in page.lower()
        assert "Forum de l'emploi des jeunes" in page and "Réviser le plan" not in page
        assert "Préparer le plan" not in page and "Ajouter une action" not in page
        spreadsheet = await member.get("/action-plan.csv?year=2026")
        text = spreadsheet.content.decode("utf-8")
        assert text.startswith("\ufeffSous-axe;Intitulé du sous-axe;Action;Structure pilote;")
        [row] = text.splitlines()[1:]
        assert row.split(";")[0] == "2.1" and row.endswith(";Réunions tenues;4;validé")
        refused = await member.post("/action-plan/plans", {"year": "2027"})
        assert refused.status_code == 403
