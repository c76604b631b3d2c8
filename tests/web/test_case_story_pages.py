"""What a case page says after an action (what happened, what comes next, when), its history
in sentences, a returned referral's alert, and the resubmission that changes nothing."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.enums import AnonymisationReason
from core.models import Referral
from services.anonymisation import anonymise_person
from states.registry import LIFECYCLES
from states.texts import ERASED
from tests.conftest import PARIS
from tests.factories import World, auth_headers
from tests.web.http_pages import page_client, submitted_referral
from tests.web.pages import Browser, visible_text
from workflows.sweep import sweep_due

MOTIVE = "Recherche d'un premier emploi dans le numérique"
RETURN_COMMENT = "Il manque le CV et l'adresse."


async def _named(session: AsyncSession, world: World) -> None:
    world.referrer.full_name = "Julie Martin"
    world.receiver_member.full_name = "Karim Benali"
    await session.commit()


async def _returned(app: FastAPI, session: AsyncSession, world: World, clock: FixedClock) -> int:
    """A referral the receiver returned through its page (missing information)."""
    await _named(session, world)
    referral_id = await submitted_referral(session, world, clock)
    async with page_client(app) as other:
        receiver = Browser(other)
        await receiver.log_in(world.receiver_member)
        done = await receiver.post(
            f"/referrals/{referral_id}/actions/return",
            {"return-reason": "missing_information", "return-comment": RETURN_COMMENT},
        )
        assert done.status_code == 303, visible_text(done.text)
    return referral_id


@pytest.mark.parametrize(
    ("at", "reminded"),
    [
        # Monday: five business days later is the next Monday, over the weekend.
        (datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), "lundi 9 mars"),
        # Friday, evening: Saturday and Sunday do not count.
        (datetime(2026, 2, 27, 18, 0, tzinfo=PARIS), "vendredi 6 mars"),
        # Tuesday before Easter: Easter Monday (6 April 2026) does not count.
        (datetime(2026, 3, 31, 9, 0, tzinfo=PARIS), "mercredi 8 avril"),
    ],
)
async def test_a_return_says_to_whom_and_when_relais_will_remind(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    world: World,
    at: datetime,
    reminded: str,
) -> None:
    clock.set(at)
    referral_id = await _returned(app, session, world, clock)
    async with page_client(app) as other:
        receiver = Browser(other)
        await receiver.log_in(world.receiver_member)
        page = await receiver.read(f"/referrals/{referral_id}?fait=return")
    assert (
        "Orientation retournée à Mission locale de Paris. Elle pourra la compléter et la "
        "renvoyer, ou la clôturer. Sans nouvelle, relais relancera Mission locale de Paris "
        f"le {reminded}."
    ) in page


async def test_a_resubmission_says_who_answers_next_and_by_when(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    referral_id = await _returned(app, session, world, clock)
    referrer = Browser(client)
    await referrer.log_in(world.referrer)
    path = f"/referrals/{referral_id}"
    before = await referrer.read(path)
    assert "EPI Paris Centre a retourné cette orientation : Informations manquantes." in before
    assert f"Commentaire : « {RETURN_COMMENT} »" in before

    sent = await referrer.post(
        f"{path}/actions/resubmit",
        {"resubmit-motive": MOTIVE, "resubmit-reply": "Le CV est joint au dossier papier."},
    )
    assert sent.status_code == 303, visible_text(sent.text)
    after = await referrer.read(sent.headers["location"])
    assert (
        "Orientation renvoyée à EPI Paris Centre. Prochaine étape pour EPI Paris Centre : "
        "accepter ou retourner l'orientation. Sans nouvelle, relais relancera EPI Paris Centre "
        "le jeudi 5 mars."
    ) in after
    assert "a retourné cette orientation :" not in after  # the alert is gone...
    # ...into the history, with the reply.
    assert (
        "EPI Paris Centre (Karim Benali) a retourné l'orientation à Mission locale de Paris. "
        f"retournée Motif : « Informations manquantes » Commentaire : « {RETURN_COMMENT} »"
    ) in after
    assert (
        "Mission locale de Paris (Julie Martin) a renvoyé l'orientation complétée à EPI Paris "
        "Centre. transmise Réponse au partenaire : « Le CV est joint au dossier papier. »"
    ) in after
    assert (
        "Mission locale de Paris (Julie Martin) a transmis l'orientation à EPI Paris Centre."
    ) in after


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        # Nothing changed, no word: refused.
        ({"resubmit-motive": MOTIVE}, 422),
        # A message only.
        ({"resubmit-motive": MOTIVE, "resubmit-reply": "La personne est joignable."}, 303),
        # One change only.
        ({"resubmit-motive": MOTIVE + ", de préférence à temps partiel"}, 303),
        ({"resubmit-motive": MOTIVE, "resubmit-barriers": "logement"}, 303),
    ],
)
async def test_a_resubmission_that_changes_nothing_needs_a_reply(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    world: World,
    fields: dict[str, str],
    status: int,
) -> None:
    referral_id = await _returned(app, session, world, clock)
    referrer = Browser(client)
    await referrer.log_in(world.referrer)
    answer = await referrer.post(f"/referrals/{referral_id}/actions/resubmit", fields)
    assert answer.status_code == status, visible_text(answer.text)
    if status == 422:
        shown = visible_text(answer.text)
        assert "Rien n'a changé depuis le retour" in shown
        assert "retournée" in shown and "Réponse au partenaire" in shown


async def test_the_api_refuses_an_unchanged_resubmission_with_its_code(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    referral_id = await _returned(app, session, world, clock)
    headers = await auth_headers(world.referrer)
    path = f"/api/referrals/{referral_id}/resubmit"
    refused = await client.post(path, json={"motive": MOTIVE}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "nothing_changed"
    replied = await client.post(path, json={"reply": "Joignable le matin."}, headers=headers)
    assert replied.status_code == 200, replied.text
    assert replied.json()["state"] == "submitted"


async def test_the_history_keeps_an_erased_comment_erased(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    referral_id = await _returned(app, session, world, clock)
    referrer = Browser(client)
    await referrer.log_in(world.referrer)
    closed = await referrer.post(
        f"/referrals/{referral_id}/actions/close", {"close-comment": "La personne a déménagé."}
    )
    assert closed.status_code == 303, visible_text(closed.text)
    told = await referrer.read(closed.headers["location"])
    assert "Mission locale de Paris (Julie Martin) a clôturé l'orientation." in told
    assert "Commentaire : « La personne a déménagé. »" in told
    person_id = (await session.get_one(Referral, referral_id)).person_id
    await anonymise_person(session, person_id, clock.now(), reason=AnonymisationReason.RETENTION)
    await session.commit()

    page = await referrer.read(f"/referrals/{referral_id}")
    assert RETURN_COMMENT not in page and "La personne a déménagé." not in page
    assert f"Commentaire : « {ERASED} »" in page
    assert "Motif : « Informations manquantes »" in page  # a code, not the person's data


async def test_the_history_says_when_relais_reminded_and_alerted(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    world: World,
) -> None:
    referral_id = await submitted_referral(session, world, clock)
    # Monday 2 March: the reminder falls due on Thursday 5, the escalation on Monday 9.
    await sweep_due(sessionmaker, LIFECYCLES, datetime(2026, 3, 5, 9, 0, tzinfo=PARIS))
    referrer = Browser(client)
    await referrer.log_in(world.referrer)
    reminded = await referrer.read(f"/referrals/{referral_id}")
    assert "jeudi 5 mars 2026 à 9 h — relais a relancé EPI Paris Centre." in reminded
    assert "relais a alerté la coordination." not in reminded
    await sweep_due(sessionmaker, LIFECYCLES, datetime(2026, 3, 9, 9, 0, tzinfo=PARIS))
    alerted = await referrer.read(f"/referrals/{referral_id}")
    assert "lundi 9 mars 2026 à 9 h — relais a alerté la coordination." in alerted
