"""« Rejoindre relais » over HTTP (issue 13, point 2): the invitation in a referral's email to
an offer's contact address makes a member of the receiving organisation, signed in on the
case; once, for ten days, in French, CSRF like every form."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import Invitation, OutboxMessage, User
from notifications.render import render
from services.referral_service import create_referral
from tests.factories import (
    CONTACT_EMAIL,
    World,
    actor_of,
    make_contact_only_offer,
    make_user,
    referral_create,
)
from tests.web.http_pages import csrf_of

EMAIL = User.__table__.c.email
NAME = "Samia Benali"
NEW_PASSWORD = "trois-pommes-sur-un-velo"
LINK = re.compile(r"http://relais\.test(/invitations/[\w-]+)")


async def _invited(session: AsyncSession, world: World, clock: FixedClock) -> tuple[int, str]:
    """A referral sent to an offer reachable only by its contact address; its id and
    reference."""
    offer = await make_contact_only_offer(session, clock.now())
    view = await create_referral(
        session, actor_of(world.referrer), referral_create(offer), clock.now()
    )
    return int(view.case.id), str(view.case.reference)


async def _emailed_link(session: AsyncSession) -> str:
    """The invitation's path, read in the email as the contact address receives it."""
    context = (
        await session.execute(
            select(OutboxMessage.context).where(OutboxMessage.recipient_email == CONTACT_EMAIL)
        )
    ).scalar_one()
    await session.rollback()
    email = render("referral.submitted", context, "http://relais.test")
    found = LINK.search(email.text)
    assert found and found.group(0) in email.html
    return found.group(1)


async def _join(
    client: httpx.AsyncClient,
    path: str,
    csrf: str,
    *,
    name: str = NAME,
    password: str = NEW_PASSWORD,
    confirmation: str | None = None,
) -> httpx.Response:
    return await client.post(
        path,
        data={
            "csrf_token": csrf,
            "full_name": name,
            "password": password,
            "confirmation": password if confirmation is None else confirmation,
        },
    )


async def _accounts_of(session: AsyncSession, email: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(User).where(func.lower(EMAIL) == email)
    )
    await session.rollback()
    return count or 0


async def test_the_invitation_makes_a_member_signed_in_on_the_case(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    referral_id, reference = await _invited(session, world, clock)
    path = await _emailed_link(session)

    form = await browser_client.get(path)
    assert form.status_code == 200, form.text
    text = unescape(form.text)
    assert "Association Solidarités Emploi" in text and CONTACT_EMAIL in text
    assert 'name="email"' not in form.text  # the address is shown, not editable
    assert "Nom et prénom" in text
    joined = await _join(browser_client, path, csrf_of(form.text))
    assert joined.status_code == 303, joined.text
    assert joined.headers["location"] == f"/referrals/{referral_id}"

    case = await browser_client.get(joined.headers["location"])
    assert case.status_code == 200  # signed in: no detour by the login page
    assert reference in case.text and NAME in case.text
    user = (await session.execute(select(User).where(EMAIL == CONTACT_EMAIL))).scalar_one()
    invitation = (await session.execute(select(Invitation))).scalar_one()
    assert (user.role, user.full_name, user.is_active) == (Role.MEMBER, NAME, True)
    assert user.organisation_id == invitation.organisation_id
    assert invitation.used_at == clock.now() and invitation.user_id == user.id
    await session.rollback()

    # A second use: refused, whatever the form says.
    again = await browser_client.get(path)
    assert again.status_code == 410 and "déjà servi" in unescape(again.text)
    csrf = csrf_of((await browser_client.get("/forgot-password")).text)
    replay = await _join(browser_client, path, csrf, password="une-autre-phrase-secrete")
    assert replay.status_code == 410 and "déjà servi" in unescape(replay.text)
    assert await _accounts_of(session, CONTACT_EMAIL) == 1


@pytest.mark.parametrize(
    ("after", "status"),
    [
        (timedelta(days=10) - timedelta(seconds=1), 303),
        (timedelta(days=10), 410),
        (timedelta(days=10) + timedelta(seconds=1), 410),
    ],
    ids=["just_before_ten_days", "at_ten_days", "just_after_ten_days"],
)
async def test_the_invitation_works_for_ten_days(
    browser_client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    clock: FixedClock,
    after: timedelta,
    status: int,
) -> None:
    await _invited(session, world, clock)
    path = await _emailed_link(session)
    csrf = csrf_of((await browser_client.get(path)).text)
    clock.advance(after)
    answer = await _join(browser_client, path, csrf)
    assert answer.status_code == status, answer.text
    assert await _accounts_of(session, CONTACT_EMAIL) == (1 if status == 303 else 0)
    if status == 410:
        assert "a expiré" in unescape(answer.text)
        assert "coordination du plan" in unescape(answer.text)
        assert (await browser_client.get(path)).status_code == 410


async def test_what_is_typed_wrong_is_said_in_french_and_creates_nothing(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    await _invited(session, world, clock)
    path = await _emailed_link(session)
    csrf = csrf_of((await browser_client.get(path)).text)
    cases = [
        ({"confirmation": "autre-chose-encore"}, "ne sont pas identiques"),
        ({"password": "onze-signes"}, "au moins 12 caractères"),
        ({"password": "Password2026"}, "trop courant"),
        ({"name": "   "}, "Indiquez votre nom"),
    ]
    for typed, words in cases:
        answer = await _join(browser_client, path, csrf, **typed)
        assert answer.status_code == 422, (typed, answer.text)
        assert words in unescape(answer.text)
    kept = await _join(browser_client, path, csrf, confirmation="autre-chose-encore")
    assert f'value="{NAME}"' in kept.text and NEW_PASSWORD not in kept.text
    forged = await browser_client.post(
        path, data={"full_name": NAME, "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}
    )
    assert forged.status_code == 403
    assert await _accounts_of(session, CONTACT_EMAIL) == 0
    assert (await _join(browser_client, path, csrf)).status_code == 303


async def test_an_address_that_has_an_account_meanwhile_is_told_to_log_in(
    browser_client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    await _invited(session, world, clock)
    path = await _emailed_link(session)
    csrf = csrf_of((await browser_client.get(path)).text)
    await session.refresh(world.outsider)
    await make_user(session, world.outsider, clock.now(), email=CONTACT_EMAIL)

    page = await browser_client.get(path)
    assert page.status_code == 409
    assert "existe déjà pour cette adresse" in unescape(page.text)
    assert 'href="/login"' in page.text
    refused = await _join(browser_client, path, csrf)
    assert refused.status_code == 409
    assert await _accounts_of(session, CONTACT_EMAIL) == 1


async def test_an_unknown_link_says_what_to_do(browser_client: httpx.AsyncClient) -> None:
    page = await browser_client.get("/invitations/" + "x" * 43)
    assert page.status_code == 404
    assert "n'existe pas" in unescape(page.text) and "coordination" in page.text
    assert (await browser_client.get("/invitations/" + "x" * 500)).status_code == 404
