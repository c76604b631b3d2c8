"""« Mon compte » : the signed-in person changes their contact details, their choice of
overdue alerts by email (coordinators and organisation admins) and their password.

The name and work phone are what the partners of their cases read to reach them.

The current password is required; a new one ends every session of the account (on every
device), so the person is sent to the login page with a notice saying so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from core.errors import InvalidInput
from core.models import User
from services import accounts, passwords
from services.inputs import ContactUpdate, EmailPreferenceChoice, OwnAccountUpdate, PasswordChange
from states.policy import receives_overdue_alerts
from web.deps import NowDep, SessionDep, SettingsDep, WebUserDep
from web.forms import form_fields
from web.rendering import render
from web.routing import page_router
from web.session import UserManagerDep, session_cookie
from web.submission import FormState, submit

router = page_router()

TITLE = "Mon compte"
NOT_THE_SAME = "Les deux saisies du nouveau mot de passe ne sont pas identiques."
MISSING = "Saisissez votre mot de passe actuel et le nouveau mot de passe."
CHANGED_NOTICE = "changed"
"""The ``notice`` the login page reads after a password change."""


SAVED_NOTICE = "Vos coordonnées sont enregistrées."
PREFERENCE_SAVED_NOTICE = "Votre choix d'alertes est enregistré."


def _account_page(
    request: Request,
    account: User,
    status_code: int = 200,
    contact: FormState | None = None,
    preference: FormState | None = None,
    **values: Any,
) -> Response:
    if preference is None:
        preference = FormState(values={"email_preference": account.email_preference.value})
    if contact is None:
        contact = FormState(
            values={"full_name": account.full_name, "work_phone": account.work_phone}
        )
    fields = form_fields(ContactUpdate, values=contact.values, errors=contact.errors)
    context = {
        "title": TITLE,
        "error": None,
        "refused_field": None,
        "account": account,
        "contact_fields": fields,
        "contact_error": contact.message,
        "contact_saved": request.query_params.get("fait") == "coordonnees",
        "saved_notice": SAVED_NOTICE,
        "chooses_alerts": receives_overdue_alerts(request.state.web_user.actor),
        "preference_fields": form_fields(
            EmailPreferenceChoice, values=preference.values, errors=preference.errors
        ),
        "preference_error": preference.message,
        "preference_saved": request.query_params.get("fait") == "alertes",
        "preference_saved_notice": PREFERENCE_SAVED_NOTICE,
    }
    return render(request, "account.html", {**context, **values}, status_code=status_code)


@router.get("/account")
async def account_page(request: Request, user: WebUserDep, session: SessionDep) -> Response:
    """Who the person is, their contact details, and the form to change their password."""
    return _account_page(request, await session.get_one(User, user.user.id))


@router.post("/account/contact")
async def change_contact(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Save the person's name and work phone (a field left empty is cleared); refused values
    come back with what to correct (422), nothing written."""
    form = await request.form()

    async def act(data: ContactUpdate) -> str:
        await accounts.update_own_contact(session, user.actor, data, now=now)
        return "/account?fait=coordonnees"

    emptied: dict[str, Any] = {
        name: None for name in ContactUpdate.model_fields if not str(form.get(name) or "").strip()
    }
    outcome = await submit(session, ContactUpdate, form, act, **emptied)
    if isinstance(outcome, FormState):
        account = await session.get_one(User, user.user.id)
        return _account_page(request, account, outcome.status_code, contact=outcome)
    return RedirectResponse(outcome, status_code=303)


@router.post("/account/emails")
async def change_email_preference(
    request: Request, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Save the person's choice between an email for each escalation and the daily digest
    only; a refused value comes back with what to correct (422), nothing written."""
    form = await request.form()

    async def act(data: EmailPreferenceChoice) -> str:
        update = OwnAccountUpdate(email_preference=data.email_preference)
        await accounts.update_own_contact(session, user.actor, update, now=now)
        return "/account?fait=alertes"

    outcome = await submit(session, EmailPreferenceChoice, form, act)
    if isinstance(outcome, FormState):
        account = await session.get_one(User, user.user.id)
        return _account_page(request, account, outcome.status_code, preference=outcome)
    return RedirectResponse(outcome, status_code=303)


@router.post("/account/password")
async def change_password(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    manager: UserManagerDep,
    settings: SettingsDep,
    now: NowDep,
    current_password: Annotated[str, Form(max_length=128)] = "",
    new_password: Annotated[str, Form(max_length=128)] = "",
    confirmation: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Change the password; every session ends, so on to the login page with a notice.
    French errors otherwise (422), nothing written."""
    account = await session.get_one(User, user.user.id)
    if not current_password or not new_password:
        missing = "current_password" if not current_password else "new_password"
        return _account_page(request, account, 422, error=MISSING, refused_field=missing)
    if new_password != confirmation:
        return _account_page(
            request, account, 422, error=NOT_THE_SAME, refused_field="confirmation"
        )
    try:
        data = PasswordChange(current_password=current_password, new_password=new_password)
        await passwords.change_own_password(session, manager, account, data, now)
    except ValidationError:
        return _account_page(request, account, 422, error=MISSING)
    except InvalidInput as refusal:
        return _account_page(
            request, account, 422, error=refusal.message, refused_field=refusal.field
        )
    response = RedirectResponse(f"/login?notice={CHANGED_NOTICE}", status_code=303)
    response.delete_cookie(
        session_cookie(settings),
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="lax",
    )
    return response
