"""« Comptes » : admins manage every account, organisation admins their organisation's.

A new account gets a random password nobody knows, and the person receives the
« mot de passe oublié » link to choose their own (``services.passwords``). Each action
button is a form posted with its CSRF token; the services apply ``states.policy``.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.enums import Role
from core.errors import Forbidden
from core.models import User
from services import accounts, directory, passwords
from services.inputs import AccountCreate, AccountInvite, AccountUpdate
from services.request_context import get_clock
from states.policy import may_manage_accounts, may_manage_organisations
from web.deps import NowDep, PathId, SessionDep, WebUserDep
from web.forms import FormField, form_fields
from web.rendering import render
from web.routing import page_router
from web.session import UserManagerDep, WebUser
from web.submission import FormState, submit

router = page_router()
ClockDep = Annotated[Clock, Depends(get_clock)]

NOTICES = {
    "cree": (
        "Le compte est créé. Un email vient d'être envoyé à la personne avec un lien pour "
        "choisir son mot de passe (valable une heure ; sinon, « Mot de passe oublié »)."
    ),
    "enregistre": "Les modifications du compte sont enregistrées.",
    "desactive": "Le compte est désactivé : ses sessions sont fermées, ses dossiers restent.",
    "reactive": "Le compte est réactivé : la personne peut de nouveau se connecter.",
}
"""What the list announces after an action, by the ``fait`` of its address."""
OWN_ROLES = (Role.MEMBER, Role.ORG_ADMIN)
"""The roles an organisation admin gives (``states.policy.may_manage_users_of``)."""


def _manager_only(user: WebUser) -> None:
    if not may_manage_accounts(user.actor):
        raise Forbidden("Seuls les administrateurs gèrent les comptes.")


async def _invite_fields(session: AsyncSession, user: WebUser, state: FormState) -> list[FormField]:
    """The new account's form: an admin chooses the organisation and any role."""
    choices: dict[str, list[tuple[str, str]]] = {}
    everyone = may_manage_organisations(user.actor)
    if everyone:
        organisations = await directory.list_organisations(session)
        choices["organisation_id"] = [(str(o.id), o.name) for o in organisations if o.is_active]
    else:
        choices["role"] = [(role.value, role.label) for role in OWN_ROLES]
    drawn = form_fields(AccountInvite, choices=choices, values=state.values, errors=state.errors)
    hidden = set() if everyone else {"organisation_id", "scope_territory"}
    return [field for field in drawn if field.name not in hidden]


def _edit_fields(user: WebUser, state: FormState) -> list[FormField]:
    choices = {}
    if not may_manage_organisations(user.actor):
        choices["role"] = [(role.value, role.label) for role in OWN_ROLES]
    drawn = form_fields(AccountUpdate, choices=choices, values=state.values, errors=state.errors)
    if choices:
        drawn = [field for field in drawn if field.name != "scope_territory"]
    return drawn


def _form_page(
    request: Request, account: User | None, fields: list[FormField], state: FormState
) -> Response:
    title = "Nouveau compte" if account is None else f"Compte de {account.email}"
    return render(
        request,
        "account_form.html",
        {"title": title, "account": account, "fields": fields, "error": state.message},
        status_code=state.status_code,
    )


@router.get("/accounts")
async def account_list(
    request: Request, user: WebUserDep, session: SessionDep, fait: str = ""
) -> Response:
    """The accounts the user manages, active or not, with their actions."""
    _manager_only(user)
    rows = await accounts.list_accounts(session, user.actor)
    names = {o.id: o.name for o in await directory.list_organisations(session)}
    return render(
        request,
        "accounts.html",
        {
            "title": "Comptes",
            "accounts": rows,
            "organisations": names,
            "all_organisations": may_manage_organisations(user.actor),
            "own_id": user.user.id,
            "notice": NOTICES.get(fait),
        },
    )


@router.get("/accounts/new")
async def new_account(request: Request, user: WebUserDep, session: SessionDep) -> Response:
    """The form of a new account."""
    _manager_only(user)
    state = FormState(values={"organisation_id": str(user.organisation.id), "role": "member"})
    return _form_page(request, None, await _invite_fields(session, user, state), state)


@router.post("/accounts/new")
async def create_account(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    manager: UserManagerDep,
    clock: ClockDep,
) -> Response:
    """Create the account with a password nobody knows, and email the person the link to
    choose theirs; the form comes back with what to correct."""
    _manager_only(user)

    async def act(data: AccountInvite) -> str:
        values: dict[str, Any] = data.model_dump()
        created = await accounts.create_account(
            session,
            manager,
            user.actor,
            AccountCreate(**values, password=secrets.token_urlsafe(32)),
            clock,
        )
        await passwords.request_password_reset(session, created.email, clock.now())
        return "/accounts?fait=cree"

    fixed: dict[str, Any] = {}
    if not may_manage_organisations(user.actor):
        fixed["organisation_id"] = user.organisation.id
    outcome = await submit(session, AccountInvite, await request.form(), act, **fixed)
    if isinstance(outcome, FormState):
        fields = await _invite_fields(session, user, outcome)
        return _form_page(request, None, fields, outcome)
    return RedirectResponse(outcome, status_code=303)


@router.get("/accounts/{user_id}")
async def edit_account(
    request: Request, user_id: PathId, user: WebUserDep, session: SessionDep
) -> Response:
    """The account's form: name, work phone, role, territory."""
    _manager_only(user)
    account = await accounts.get_account(session, user.actor, user_id)
    state = FormState(
        values={
            "full_name": account.full_name,
            "work_phone": account.work_phone,
            "role": account.role,
            "scope_territory": account.scope_territory,
        }
    )
    return _form_page(request, account, _edit_fields(user, state), state)


@router.post("/accounts/{user_id}")
async def update_account(
    request: Request, user_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Save the account's changes; refused ones come back with what to correct."""
    _manager_only(user)
    account = await accounts.get_account(session, user.actor, user_id)

    async def act(data: AccountUpdate) -> str:
        await accounts.update_account(session, user.actor, user_id, data, now=now)
        return "/accounts?fait=enregistre"

    form = await request.form()
    # An emptied phone is cleared (an absent field would be left as it is).
    emptied: dict[str, Any] = {"work_phone": None}
    if str(form.get("work_phone") or "").strip():
        emptied = {}
    outcome = await submit(session, AccountUpdate, form, act, **emptied)
    if isinstance(outcome, FormState):
        return _form_page(request, account, _edit_fields(user, outcome), outcome)
    return RedirectResponse(outcome, status_code=303)


@router.post("/accounts/{user_id}/deactivate")
async def deactivate_account(
    user_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Deactivate the account; its sessions end (409 page when it cannot be)."""
    await accounts.deactivate_account(session, user.actor, user_id, now=now)
    return RedirectResponse("/accounts?fait=desactive", status_code=303)


@router.post("/accounts/{user_id}/reactivate")
async def reactivate_account(
    user_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Reactivate the account (409 page when it is active or its organisation is not)."""
    await accounts.reactivate_account(session, user.actor, user_id, now=now)
    return RedirectResponse("/accounts?fait=reactive", status_code=303)
