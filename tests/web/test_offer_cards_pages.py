"""Choosing an offer (issue 17, point 2) over HTTP: the offers are cards of the referral
form, its filters post the whole form back with nothing typed lost, a page shows the first
20 matches and says how many there are, and a second open referral of one person to one
offer asks to be confirmed."""

from __future__ import annotations

from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import OfferCategory, Outcome, ReturnReason, Territory
from core.models import Offer, Referral, User
from services import referral_service
from states.referral import REFERRAL
from states.referral_fields import PersonFields
from tests.factories import World, actor_of, make_offer, referral_create
from tests.web.dashboard_helpers import signed_in
from tests.web.http_pages import csrf_of
from tests.web.pages import check_markup, visible_text

BORN = date(1990, 5, 17)
PARIS = ZoneInfo("Europe/Paris")
OPEN_STATES = ["draft", "submitted", "returned", "accepted", "in_progress", "expired"]
FINAL_STATES = ["completed", "cancelled", "closed"]


class _Fields(HTMLParser):
    """A page's form fields as a browser would post them: name -> values."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name: str | None, value: str | None) -> None:
        if name:
            self.values.setdefault(name, []).append(value or "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") not in {"radio", "checkbox", "submit"}:
            self._add(found.get("name"), found.get("value"))
        elif tag == "input" and "checked" in found:
            self._add(found.get("name"), found.get("value") or "on")
        elif tag == "select":
            self._select = found.get("name")
        elif tag == "option" and self._select and "selected" in found:
            self._add(self._select, found.get("value"))
        elif tag == "textarea":
            self._textarea = found.get("name")
            self._add(self._textarea, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][-1] += data


def posted_back(html: str) -> dict[str, list[str]]:
    """What the page's form would post, as it stands (CSRF token left out)."""
    parser = _Fields()
    parser.feed(html)
    parser.values.pop("csrf_token", None)
    return parser.values


def typed(offer_id: int, **overrides: Any) -> dict[str, Any]:
    """Everything a referrer may type about a person and their need."""
    return {
        "offer_id": str(offer_id),
        "person_first_name": "Zoé",
        "person_last_name": "Quatremer",
        "person_birth_date": BORN.isoformat(),
        "person_email": "zoe.quatremer@example.org",
        "person_phone": "06 12 34 56 78",
        "person_residence": "75018",
        "person_lives_in_qpv": "on",
        "person_publics": ["rsa", "femmes"],
        "person_france_travail_id": "1234567A",
        "motive": "Reprise d'activité après un congé parental",
        "barriers": ["logement", "mobilite"],
        "consent": "on",
        **overrides,
    }


async def _post(client: httpx.AsyncClient, data: dict[str, Any]) -> httpx.Response:
    page = await client.get("/referrals/new")
    assert page.status_code == 200, page.text
    return await client.post("/referrals/new", data={"csrf_token": csrf_of(page.text), **data})


def _cards(html: str) -> list[str]:
    """The ids of the offers shown as cards (each ``offer_id`` radio's), in order."""
    values: list[str] = []

    class Radios(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if tag == "input" and found.get("name") == "offer_id":
                values.append(found.get("value") or "")

    Radios().feed(html)
    return values


async def test_filtering_keeps_every_field_typed_and_narrows_the_cards(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    sport = await make_offer(
        session, world.receiver, clock.now(), title="Football solidaire",
        category=OfferCategory("sport"), territory=Territory.ARR_18,
    )  # fmt: skip
    data = typed(world.offer.id)
    async with signed_in(app, world.referrer.email) as client:
        filtered = await _post(
            client, {**data, "action": "filter", "q": "foot", "category": "sport",
                     "territory": "75018", "public": "femmes"},
        )  # fmt: skip
    assert filtered.status_code == 200, filtered.text
    check_markup(filtered.text)
    back = posted_back(filtered.text)
    for name, value in data.items():
        assert sorted(back.get(name, [])) == sorted(value if isinstance(value, list) else [value])
    assert back["q"] == ["foot"] and back["category"] == ["sport"]
    assert back["territory"] == ["75018"] and back["public"] == ["femmes"]
    # The chosen offer stays on top though the filters leave it out; the match follows.
    assert _cards(filtered.text) == [str(world.offer.id), str(sport.id)]
    assert "1 offre correspond." in visible_text(filtered.text)
    assert await session.scalar(select(func.count()).select_from(Referral)) == 0


async def test_the_public_filter_keeps_the_offers_taking_that_public(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    rsa = await make_offer(session, world.receiver, now, eligible_publics=["rsa"])
    women = await make_offer(session, world.receiver, now, eligible_publics=["femmes"])
    everyone = await make_offer(session, world.receiver, now, eligible_publics=["tous-publics"])
    async with signed_in(app, world.referrer.email) as client:
        page = await client.get("/referrals/new?public=rsa")
    shown = _cards(page.text)
    assert str(rsa.id) in shown and str(everyone.id) in shown
    assert str(world.offer.id) in shown  # names no public: it takes everyone
    assert str(women.id) not in shown


async def test_each_card_shows_what_the_offer_is(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    await make_offer(
        session, world.receiver, clock.now(), title="Atelier numérique du 18e",
        description="Prendre en main un smartphone et ses démarches en ligne.",
        category=OfferCategory("numerique"), territory=Territory.ARR_18,
        eligible_publics=["rsa", "femmes"], capacity=12,
        contact_email="atelier18@epi-test.fr",
    )  # fmt: skip
    async with signed_in(app, world.referrer.email) as client:
        page = await client.get("/referrals/new?q=atelier")
    assert page.status_code == 200
    check_markup(page.text)
    text = visible_text(page.text)
    card = text[text.index("Atelier numérique du 18e") :]
    for shown in (
        "EPI Paris Centre",
        "Prendre en main un smartphone",
        f"Thématique : {OfferCategory('numerique').label}",
        "Publics : Femmes, Allocataires du RSA",
        "Places : 12 restantes sur 12",
        "Arrondissement : Paris 18e",
        "Contact : atelier18@epi-test.fr",
    ):
        assert shown in card, shown
    assert 'fieldset class="offers' in page.text and "<legend>L'offre choisie" in page.text
    assert '<label for="offer-' in page.text  # each card is its radio's label


async def test_a_full_offer_says_so_on_its_card(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    offer = await session.get_one(Offer, world.offer.id)
    offer.capacity = 1
    await session.commit()
    view = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    await session.commit()
    await referral_service.fire_referral(
        session, actor_of(world.receiver_member), view.case.id, "accept", None, clock.now()
    )
    await session.close()
    async with signed_in(app, world.referrer.email) as client:
        text = visible_text((await client.get("/referrals/new")).text)
    assert "Accompagnement en EPI Complète" in text
    assert "Places : complète (1 place)" in text


@pytest.mark.parametrize(("offers", "counted"), [
    (19, "19 offres correspondent."),
    (20, "20 offres correspondent."),
    (21, "21 offres correspondent ; les 20 premières sont affichées"),
])  # fmt: skip
async def test_twenty_cards_at_most_and_the_count_of_every_match(
    app: FastAPI, world: World, session: AsyncSession, clock: FixedClock,
    offers: int, counted: str,
) -> None:  # fmt: skip
    for _ in range(offers - 1):  # the world has one already
        await make_offer(session, world.receiver, clock.now())
    async with signed_in(app, world.referrer.email) as client:
        page = await client.get("/referrals/new")
    assert counted in visible_text(page.text)
    assert len(_cards(page.text)) == min(offers, 20)


async def _existing(session: AsyncSession, world: World, sender: User, state: str) -> Referral:
    """A referral of Zoé (born 17 May 1990) to the world's offer, put in ``state``, made on
    2 March 2026 and in that state since 4 March."""
    person = PersonFields(first_name="Zoé", last_name="Quatremer", birth_date=BORN)
    made = datetime(2026, 3, 2, 10, tzinfo=PARIS)
    view = await referral_service.create_referral(
        session, actor_of(sender), referral_create(world.offer, person=person), made
    )
    await session.execute(
        update(Referral).where(Referral.id == view.case.id).values(
            state=state, created_at=made, state_entered_at=datetime(2026, 3, 4, 10, tzinfo=PARIS),
            # What the database requires of these states.
            return_reason=ReturnReason.MISSING_INFORMATION if state == "returned" else None,
            outcome=Outcome.QUALIFYING_TRAINING if state == "completed" else None,
        )
    )  # fmt: skip
    await session.commit()
    return await session.get_one(Referral, view.case.id)


async def _referrals(session: AsyncSession) -> int:
    count = await session.scalar(select(func.count()).select_from(Referral))
    await session.rollback()  # on SQLite, a reader holds the write lock until it ends
    return int(count or 0)


def test_the_open_and_final_states_are_the_lifecycle_s() -> None:
    assert set(REFERRAL.final_states) == set(FINAL_STATES)
    assert set(OPEN_STATES) | set(FINAL_STATES) == set(REFERRAL.states)


@pytest.mark.parametrize("state", OPEN_STATES)
async def test_an_open_referral_to_the_same_offer_is_warned_about(
    app: FastAPI, world: World, session: AsyncSession, state: str
) -> None:
    existing = await _existing(session, world, world.referrer, state)
    reference = existing.reference
    async with signed_in(app, world.referrer.email) as client:
        warned = await _post(client, typed(world.offer.id, person_france_travail_id=""))
    assert warned.status_code == 409, visible_text(warned.text)
    check_markup(warned.text)
    text = visible_text(warned.text)
    assert (
        f"Cette personne a déjà l'orientation {reference} ouverte vers cette offre, créée le "
        f"lundi 2 mars 2026, à l'état « {REFERRAL.state_labels[state]} » depuis le "
        "mercredi 4 mars 2026."
    ) in text
    assert "Envoyer quand même" in text
    assert posted_back(warned.text)["person_first_name"] == ["Zoé"]
    assert await _referrals(session) == 1  # nothing sent without the confirmation


@pytest.mark.parametrize("state", FINAL_STATES)
async def test_a_referral_that_ended_is_no_duplicate(
    app: FastAPI, world: World, session: AsyncSession, state: str
) -> None:
    await _existing(session, world, world.referrer, state)
    async with signed_in(app, world.referrer.email) as client:
        sent = await _post(client, typed(world.offer.id, person_france_travail_id=""))
    assert sent.status_code == 303, visible_text(sent.text)
    assert await _referrals(session) == 2


async def test_another_organisation_s_referral_is_warned_about_without_its_reference(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    existing = await _existing(session, world, world.outsider_member, "submitted")
    async with signed_in(app, world.referrer.email) as client:
        warned = await _post(client, typed(world.offer.id, person_france_travail_id=""))
    text = visible_text(warned.text)
    assert warned.status_code == 409
    assert "Cette personne a déjà une orientation ouverte vers cette offre" in text
    assert existing.reference not in text and "CAF de Paris" not in text


async def test_confirming_sends_the_second_referral(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    await _existing(session, world, world.referrer, "submitted")
    data = typed(world.offer.id, person_france_travail_id="")
    async with signed_in(app, world.referrer.email) as client:
        warned = await _post(client, data)
        assert warned.status_code == 409
        sent = await client.post(
            "/referrals/new",
            data={"csrf_token": csrf_of(warned.text), **posted_back(warned.text),
                  "confirm_duplicate": "on"},
        )  # fmt: skip
    assert sent.status_code == 303, visible_text(sent.text)
    assert await _referrals(session) == 2
