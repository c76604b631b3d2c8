"""« Rejoindre relais » : the page an invitation's link opens, and the account it creates.

Open to anyone (no session): the token in the address is the proof. The form carries a CSRF
token like every form; once the account is created, the person is signed in (the login's
session cookie) and sent to the case's page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from core.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InvalidInput,
    LinkGone,
    NotFound,
    http_status,
)
from services import invitations
from services.inputs import InvitationAcceptance
from services.invitations import OpenInvitation
from web.deps import NowDep, SessionDep, SettingsDep, StrategyDep
from web.rendering import render
from web.routing import page_router
from web.session import UserManagerDep, open_session

router = page_router()

TITLE = "Rejoindre relais"
NOT_THE_SAME = "Les deux saisies du mot de passe ne sont pas identiques."
NAME_NEEDED = "Indiquez votre nom et votre prénom."
PASSWORD_NEEDED = "Choisissez un mot de passe."
REFUSALS = (NotFound, LinkGone, Conflict)
"""Why a link cannot make an account: each is a page saying what to do instead."""


def _refused(request: Request, refusal: DomainError) -> Response:
    """The page of a link that cannot make an account: unknown (404), used or expired
    (410), an address that has an account meanwhile (409)."""
    context = {
        "title": TITLE,
        "refusal": refusal.message,
        "has_account": isinstance(refusal, AlreadyExists),
    }
    return render(request, "invitation.html", context, status_code=http_status(refusal))


def _form(
    request: Request,
    token: str,
    invitation: OpenInvitation,
    status_code: int = 200,
    **values: Any,
) -> Response:
    context = {
        "title": TITLE,
        "refusal": None,
        "token": token,
        "invitation": invitation,
        "error": None,
        "field": None,
        "full_name": "",
        **values,
    }
    return render(request, "invitation.html", context, status_code=status_code)


def _typed(full_name: str, password: str, confirmation: str) -> InvitationAcceptance:
    """What the form says, checked; InvalidInput names the field to correct."""
    if not password:
        raise InvalidInput(PASSWORD_NEEDED, field="password")
    if password != confirmation:
        raise InvalidInput(NOT_THE_SAME, field="password")
    try:
        return InvitationAcceptance(full_name=full_name, password=password)
    except ValidationError:
        raise InvalidInput(NAME_NEEDED, field="full_name") from None


@router.get("/invitations/{token}")
async def invitation_page(
    request: Request, token: str, session: SessionDep, now: NowDep
) -> Response:
    """The form to join: the organisation and the address, bound; a name and a password."""
    try:
        invitation = await invitations.open_invitation(session, token, now)
    except REFUSALS as refusal:
        return _refused(request, refusal)
    return _form(request, token, invitation)


@router.post("/invitations/{token}")
async def accept_invitation(
    request: Request,
    token: str,
    session: SessionDep,
    manager: UserManagerDep,
    strategy: StrategyDep,
    settings: SettingsDep,
    now: NowDep,
    full_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    confirmation: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Create the account, sign the person in and open the case; French errors, the form
    kept (never the password)."""
    try:
        invitation = await invitations.open_invitation(session, token, now)
    except REFUSALS as refusal:
        return _refused(request, refusal)
    kept = {"full_name": full_name}
    try:
        data = _typed(full_name, password, confirmation)
        accepted = await invitations.accept_invitation(session, manager, token, data, now)
    except InvalidInput as problem:
        return _form(
            request, token, invitation, 422, error=problem.message, field=problem.field, **kept
        )
    except REFUSALS as refusal:
        return _refused(request, refusal)
    response = RedirectResponse(accepted.landing_path, status_code=303)
    await open_session(response, accepted.user, settings, strategy)
    return response
