"""Who may manage the directory (organisations, accounts, offers), supervise delivery and the
dashboard, and run the committees."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from core.enums import Role
from core.models import (
    OutboxMessage,
)
from states.actor import Actor
from states.lifecycle import Lifecycle
from states.policy.scope import CASE_ROLES, scope_clause


def may_manage_organisations(actor: Actor) -> bool:
    """Whether ``actor`` may create, change, deactivate and reactivate organisations."""
    return actor.role is Role.ADMIN


def may_read_audit(actor: Actor) -> bool:
    """Whether ``actor`` may read the trail of administrative changes (« Journal des
    modifications »): the platform's admins and the data protection officer."""
    return actor.role in (Role.ADMIN, Role.DPO)


def may_manage_users_of(actor: Actor, organisation_id: int, role: Role) -> bool:
    """Whether ``actor`` may create, change, deactivate or reactivate a user with ``role`` in
    ``organisation_id`` (a change of role asks it for the current role and the new one).

    Admins manage anyone; an organisation admin manages members and organisation admins
    of their own organisation only.
    """
    if actor.role is Role.ADMIN:
        return True
    return (
        actor.role is Role.ORG_ADMIN
        and actor.organisation_id == organisation_id
        and role in {Role.MEMBER, Role.ORG_ADMIN}
    )


def may_manage_accounts(actor: Actor) -> bool:
    """Whether ``actor`` manages accounts at all: every one (admins), or their organisation's
    (organisation admins)."""
    return actor.role is Role.ADMIN or (
        actor.role is Role.ORG_ADMIN and actor.organisation_id is not None
    )


def may_see_accounts_of(actor: Actor, organisation_id: int) -> bool:
    """Whether ``actor`` may list and read the accounts of ``organisation_id``: admins every
    organisation's, organisation admins their own's."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.ORG_ADMIN and actor.organisation_id == organisation_id


def may_see_account(actor: Actor, organisation_id: int, user_id: int) -> bool:
    """Whether ``actor`` may read the account ``user_id`` of ``organisation_id``: their own,
    or one of the accounts they may list."""
    return actor.user_id == user_id or may_see_accounts_of(actor, organisation_id)


def may_manage_every_offer(actor: Actor) -> bool:
    """Whether ``actor`` manages the offers of every organisation (platform admins)."""
    return actor.role is Role.ADMIN


def may_manage_offers_of(actor: Actor, organisation_id: int) -> bool:
    """Whether ``actor`` may create or change the offers of ``organisation_id``."""
    if may_manage_every_offer(actor):
        return True
    return actor.role is Role.ORG_ADMIN and actor.organisation_id == organisation_id


def may_manage_offers(actor: Actor) -> bool:
    """Whether ``actor`` manages offers at all: their organisation's, or every one."""
    return actor.organisation_id is not None and may_manage_offers_of(actor, actor.organisation_id)


def may_supervise_delivery(actor: Actor) -> bool:
    """Whether ``actor`` may list undelivered emails and send them again."""
    return actor.role in {Role.COORDINATOR, Role.ADMIN}


def supervised_messages_clause(
    actor: Actor, lifecycles: Iterable[Lifecycle]
) -> ColumnElement[bool]:
    """The outbox messages ``actor`` supervises: all of them for an admin or a coordinator of
    all Paris; for a coordinator of one territory, only the emails about that territory's
    cases (not the digests nor governance alerts, which concern all of Paris)."""
    if not may_supervise_delivery(actor):
        return false()
    if actor.role is Role.ADMIN or actor.scope_territory is None:
        return true()
    return or_(
        *(
            and_(
                OutboxMessage.case_kind == lifecycle.name,
                OutboxMessage.case_id.in_(
                    select(lifecycle.model.id).where(scope_clause(actor, lifecycle))
                ),
            )
            for lifecycle in lifecycles
        )
    )


def may_list_overdue(actor: Actor) -> bool:
    """Whether ``actor`` has cases whose delays they follow."""
    return actor.role in CASE_ROLES


DIGEST_ROLES = frozenset({Role.COORDINATOR, Role.ORG_ADMIN})
"""Roles that get the daily digest of overdue cases, and escalations as they happen."""


def receives_overdue_alerts(actor: Actor) -> bool:
    """Whether ``actor`` hears of overdue cases (the digest, escalations), and so chooses
    between an email for each escalation and the daily digest only."""
    return actor.role in DIGEST_ROLES


DASHBOARD_ROLES = frozenset({Role.COORDINATOR, Role.ORG_ADMIN, Role.ADMIN})
"""Roles that watch delays on a dashboard rather than act on cases one by one."""


def may_view_dashboard(actor: Actor) -> bool:
    """Whether ``actor`` may open the dashboard of overdue cases."""
    return actor.role in DASHBOARD_ROLES


def oversight_actor(actor: Actor) -> Actor:
    """Whose delays a dashboard shows for ``actor``.

    A coordinator follows their territory and an organisation admin their organisation, as
    the digest does; a platform admin oversees all of Paris, as a coordinator without a
    territory would. Overdue listings carry no personal data, only references.
    """
    if actor.role is Role.ADMIN:
        return Actor(user_id=actor.user_id, organisation_id=None, role=Role.COORDINATOR)
    return actor


def may_manage_committees(actor: Actor) -> bool:
    """Whether ``actor`` may create committees and change their member organisations."""
    return actor.role in {Role.SECRETARY, Role.ADMIN}


def may_manage_meetings(actor: Actor) -> bool:
    """Whether ``actor`` may plan meetings and write their agendas and minutes."""
    return actor.role is Role.SECRETARY


def may_read_governance(actor: Actor) -> bool:
    """Whether ``actor`` may read committees and meetings (no personal data in them).

    The items put to a committee are another matter: ``governance_readers``.
    """
    return actor.role is not None


def may_propose_decision(actor: Actor) -> bool:
    """Whether ``actor`` may put an item forward to a committee for their organisation."""
    return actor.role in CASE_ROLES


def may_bring_case_to_committee(actor: Actor) -> bool:
    """Whether ``actor`` may bring a case of their scope to the comité technique."""
    return actor.role is Role.COORDINATOR


def may_assign_actions(actor: Actor) -> bool:
    """Whether ``actor`` may give an approved decision its action items."""
    return actor.role is Role.SECRETARY


def may_read_annual_report(actor: Actor) -> bool:
    """Whether ``actor`` may open the comité de pilotage's annual report (page and PDF).

    The report is all of Paris, always masked below five people: the coordinators (who
    prepare the comité de pilotage, whatever their territory), the secretariat (who circulates
    it with the meeting's papers), the platform's admins (who produce it at the command line)
    and the DPO (who checks what leaves relais). Not members nor organisation admins: they
    read their own figures beside Paris's on the « Indicateurs » page, and receive the report
    from the comité de pilotage once it is adopted.
    """
    return actor.role in {Role.COORDINATOR, Role.SECRETARY, Role.ADMIN, Role.DPO}


def may_draft_action_plan(actor: Actor) -> bool:
    """Whether ``actor`` may draft the year's action plan and change its items (the
    coordination and the committees' secretariat)."""
    return actor.role in {Role.COORDINATOR, Role.SECRETARY}
