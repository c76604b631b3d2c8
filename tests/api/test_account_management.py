"""Managing accounts through the API: admins every organisation's, organisation admins their
own's (members and organisation admins); 404 for what the caller may not see, 403 for what
they see but may not do, 409 where the account's state forbids it (issue 12, finding 5)."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import OutboxMessage, User
from services import referral_service
from tests.factories import PASSWORD, World, actor_of, auth_headers, make_user, referral_create


async def _org_admin(session: AsyncSession, world: World, clock: FixedClock) -> User:
    return await make_user(
        session, world.receiver, clock.now(), role=Role.ORG_ADMIN, email="direction@epi-test.fr"
    )


async def _login(client: httpx.AsyncClient, email: str) -> int:
    answer = await client.post("/auth/jwt/login", data={"username": email, "password": PASSWORD})
    return answer.status_code


async def test_admins_list_every_account_and_org_admins_their_organisations(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    manager = await auth_headers(await _org_admin(session, world, clock))
    everyone = await client.get("/api/users", headers=await auth_headers(world.admin))
    assert everyone.status_code == 200
    assert len(everyone.json()) == 6
    one = await client.get(
        f"/api/users?organisation_id={world.sender.id}", headers=await auth_headers(world.admin)
    )
    assert [user["email"] for user in one.json()] == [world.referrer.email]
    own = await client.get("/api/users", headers=manager)
    assert {user["email"] for user in own.json()} == {
        world.receiver_member.email,
        "direction@epi-test.fr",
    }
    other = await client.get(f"/api/users?organisation_id={world.sender.id}", headers=manager)
    assert other.status_code == 404
    assert (await client.get(f"/api/users/{world.referrer.id}", headers=manager)).status_code == 404
    member = await auth_headers(world.referrer)
    assert (await client.get("/api/users", headers=member)).status_code == 403
    mine = await client.get(f"/api/users/{world.referrer.id}", headers=member)
    assert mine.json()["email"] == world.referrer.email


async def test_an_admin_changes_name_role_and_territory(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = await auth_headers(world.admin)
    path = f"/api/users/{world.referrer.id}"
    renamed = await client.patch(path, json={"full_name": "Inès Valmont"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["full_name"], renamed.json()["role"]) == ("Inès Valmont", "member")
    promoted = await client.patch(
        path, json={"role": "coordinator", "scope_territory": "75011"}, headers=admin
    )
    assert (promoted.json()["role"], promoted.json()["scope_territory"]) == (
        "coordinator",
        "75011",
    )
    # Back to member: the territory goes with the coordinator's role.
    back = await client.patch(path, json={"role": "member"}, headers=admin)
    assert (back.json()["role"], back.json()["scope_territory"]) == ("member", None)
    refused = await client.patch(path, json={"scope_territory": "75011"}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "scope_territory"
    assert "coordinateurs" in refused.json()["detail"]
    unknown = await client.patch(path, json={"email": "autre@ml-test.fr"}, headers=admin)
    assert unknown.status_code == 422
    assert (await client.patch("/api/users/999999", json={}, headers=admin)).status_code == 404


async def test_an_org_admin_manages_its_members_only(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    local_admin = await make_user(session, world.receiver, clock.now(), role=Role.ADMIN)
    manager = await auth_headers(await _org_admin(session, world, clock))
    member = f"/api/users/{world.receiver_member.id}"
    promoted = await client.patch(member, json={"role": "org_admin"}, headers=manager)
    assert (promoted.status_code, promoted.json()["role"]) == (200, "org_admin")
    too_far = await client.patch(member, json={"role": "coordinator"}, headers=manager)
    assert too_far.status_code == 403
    # Another organisation's account: as if it did not exist.
    for action in ("deactivate", "reactivate"):
        outside = await client.post(f"/api/users/{world.referrer.id}/{action}", headers=manager)
        assert outside.status_code == 404
    other_admin = await client.post(f"/api/users/{world.admin.id}/deactivate", headers=manager)
    assert other_admin.status_code == 404
    # An admin of their own organisation: seen, but not theirs to manage.
    own_admin = await client.post(f"/api/users/{local_admin.id}/deactivate", headers=manager)
    assert own_admin.status_code == 403
    await session.refresh(local_admin)
    assert local_admin.is_active
    await session.commit()


async def test_a_deactivated_user_cannot_log_in_until_reactivated(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    manager = await auth_headers(await _org_admin(session, world, clock))
    member = world.receiver_member
    token = await auth_headers(member)
    assert await _login(client, member.email) == 200
    answer = await client.post(f"/api/users/{member.id}/deactivate", headers=manager)
    assert (answer.status_code, answer.json()["is_active"]) == (200, False)
    assert await _login(client, member.email) == 400
    assert (await client.get("/users/me", headers=token)).status_code == 401
    again = await client.post(f"/api/users/{member.id}/deactivate", headers=manager)
    assert (again.status_code, again.json()["allowed_actions"]) == (409, ["reactivate"])
    back = await client.post(f"/api/users/{member.id}/reactivate", headers=manager)
    assert (back.status_code, back.json()["is_active"]) == (200, True)
    # Deactivation ended the sessions: coming back is a new login, the old token stays dead.
    assert (await client.get("/users/me", headers=token)).status_code == 401
    assert await _login(client, member.email) == 200


async def test_nobody_deactivates_or_demotes_themselves(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    manager_user = await _org_admin(session, world, clock)
    for user in (world.admin, manager_user):
        headers = await auth_headers(user)
        itself = await client.post(f"/api/users/{user.id}/deactivate", headers=headers)
        assert itself.status_code == 409, itself.text
        assert "votre propre compte" in itself.json()["detail"]
        demoted = await client.patch(
            f"/api/users/{user.id}", json={"role": "member"}, headers=headers
        )
        assert demoted.status_code == 409
    assert await _login(client, world.admin.email) == 200


async def test_a_deactivated_users_cases_stay_with_its_organisation_and_mail_skips_it(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    sender_admin = await make_user(
        session, world.sender, clock.now(), role=Role.ORG_ADMIN, email="direction@ml-test.fr"
    )
    view = await referral_service.create_referral(
        session, actor_of(world.referrer), referral_create(world.offer), clock.now()
    )
    referral_id = view.case.id
    await session.commit()
    gone = await client.post(
        f"/api/users/{world.referrer.id}/deactivate", headers=await auth_headers(sender_admin)
    )
    assert gone.status_code == 200
    # The referral is still the sending organisation's, seen and followed by its staff.
    seen = await client.get(
        f"/api/referrals/{referral_id}", headers=await auth_headers(sender_admin)
    )
    assert seen.status_code == 200
    accepted = await client.post(
        f"/api/referrals/{referral_id}/accept",
        json={},
        headers=await auth_headers(world.receiver_member),
    )
    assert accepted.status_code == 200, accepted.text
    recipients = set(
        (
            await session.execute(
                select(OutboxMessage.recipient_email).where(
                    OutboxMessage.message == "referral.accepted"
                )
            )
        ).scalars()
    )
    await session.rollback()
    assert recipients == {"direction@ml-test.fr"}


async def test_two_admins_deactivating_each_other_at_once_leave_one_active(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    other = await make_user(session, world.sender, clock.now(), role=Role.ADMIN)
    first, second = world.admin, other
    answers = await asyncio.gather(
        client.post(f"/api/users/{second.id}/deactivate", headers=await auth_headers(first)),
        client.post(f"/api/users/{first.id}/deactivate", headers=await auth_headers(second)),
    )
    # One wins; the other is refused as the last active admin (409), or, when the first was
    # done before the second even signed in (SQLite serialises them), as signed out (401).
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([200, 401], [200, 409]), [answer.text for answer in answers]
    if statuses == [200, 409]:
        refused = next(answer for answer in answers if answer.status_code == 409)
        assert "dernier compte administrateur actif" in refused.json()["detail"]
    active = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.__table__.c.is_active.is_(True))
    )
    await session.rollback()
    assert active == 1


async def test_one_active_dpo_per_deployment(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    """An admin creates the DPO; a second active one is refused (409, in French) whether
    created, promoted or reactivated; an organisation admin creates none (403)."""
    admin = await auth_headers(world.admin)

    def new_dpo(email: str) -> dict[str, object]:
        return {
            "email": email,
            "password": "un-mot-de-passe-solide-2026",
            "organisation_id": world.coordination.id,
            "role": "dpo",
        }

    first = await client.post("/api/users", json=new_dpo("dpo@ville-test.fr"), headers=admin)
    assert first.status_code == 201, first.text
    second = await client.post("/api/users", json=new_dpo("dpo2@ville-test.fr"), headers=admin)
    assert second.status_code == 409
    assert "déjà actif" in second.json()["detail"]
    promoted = await client.patch(
        f"/api/users/{world.outsider_member.id}", json={"role": "dpo"}, headers=admin
    )
    assert promoted.status_code == 409
    manager = await auth_headers(await _org_admin(session, world, clock))
    by_manager = {**new_dpo("dpo3@epi-test.fr"), "organisation_id": world.receiver.id}
    assert (await client.post("/api/users", json=by_manager, headers=manager)).status_code == 403

    first_id = first.json()["id"]
    assert (await client.post(f"/api/users/{first_id}/deactivate", headers=admin)).is_success
    replacing = await client.post("/api/users", json=new_dpo("dpo2@ville-test.fr"), headers=admin)
    assert replacing.status_code == 201, replacing.text
    again = await client.post(f"/api/users/{first_id}/reactivate", headers=admin)
    assert again.status_code == 409
    assert "déjà actif" in again.json()["detail"]
    login = {"username": "dpo2@ville-test.fr", "password": "un-mot-de-passe-solide-2026"}
    assert (await client.post("/auth/jwt/login", data=login)).status_code == 200
