"""Merging two records of one person: the coordinator compares them side by side, then
confirms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import MAX_ID
from core.enums import ERASURE_REASONS, AccessChannel
from services import erasure, person_merge
from services.access_log import Reading
from services.erasure import ErasureRequest
from services.person_merge import PersonMerge
from web.deps import NowDep, PathId, SessionDep, WebUserDep
from web.rendering import render
from web.routing import page_router
from web.session import WebUser
from web.submission import FormState, submit
from web.summaries import person_name

router = page_router()


async def _comparison(
    request: Request,
    session: AsyncSession,
    user: WebUser,
    person_id: int,
    other_id: int,
    state: FormState,
    now: datetime,
) -> Response:
    """Both records side by side, and the button that merges the second into the first
    (two reads of a person's data, logged)."""
    read = Reading(AccessChannel.PAGE, now)
    kept = await person_merge.person_card(session, user.actor, person_id, read=read)
    merged = await person_merge.person_card(session, user.actor, other_id, read=read)
    return render(
        request,
        "person_merge.html",
        {
            "title": f"Fusionner deux fiches de {person_name(kept.person)}",
            "kept": kept,
            "merged": merged,
            "error": state.message,
        },
        status_code=state.status_code,
    )


@router.get("/persons/{person_id}/merge")
async def merge_page(
    request: Request,
    person_id: PathId,
    user: WebUserDep,
    session: SessionDep,
    now: NowDep,
    autre: Annotated[int, Query(ge=1, le=MAX_ID)],
) -> Response:
    """Compare the record with another one (``autre``) before merging it in."""
    return await _comparison(request, session, user, person_id, autre, FormState(), now)


@router.post("/persons/{person_id}/merge")
async def merge(
    request: Request, person_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Merge the other record into this one; the comparison comes back with why not."""

    async def act(data: PersonMerge) -> str:
        await person_merge.merge_persons(session, user.actor, person_id, data.other_id, now)
        return f"/persons/{person_id}?fait=fusion"

    form = await request.form()
    outcome = await submit(session, PersonMerge, form, act)
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    other = form.get("other_id")
    other_id = int(other) if isinstance(other, str) and other.isdigit() else person_id
    return await _comparison(request, session, user, person_id, other_id, outcome, now)


async def _erasure_page(
    request: Request, session: AsyncSession, user: WebUser, person_id: int, state: FormState
) -> Response:
    """The confirmation step of an erasure: what goes, what stays, and why (a reason)."""
    person = await erasure.person_to_erase(session, user.actor, person_id)
    return render(
        request,
        "person_erase.html",
        {
            "title": f"Effacer les données de {person_name(person)}",
            "person": person,
            "reasons": ERASURE_REASONS,
            "chosen": state.values.get("reason"),
            "error": state.message,
        },
        status_code=state.status_code,
    )


@router.get("/persons/{person_id}/erase")
async def erase_page(
    request: Request, person_id: PathId, user: WebUserDep, session: SessionDep
) -> Response:
    """Ask for confirmation (and a reason) before erasing the person's data."""
    return await _erasure_page(request, session, user, person_id, FormState())


@router.post("/persons/{person_id}/erase")
async def erase(
    request: Request, person_id: PathId, user: WebUserDep, session: SessionDep, now: NowDep
) -> Response:
    """Erase the person's data now; the confirmation comes back with why not."""

    async def act(data: ErasureRequest) -> str:
        await erasure.erase_person(session, user.actor, person_id, data.reason, now)
        return f"/persons/{person_id}?fait=efface"

    outcome = await submit(session, ErasureRequest, await request.form(), act)
    if isinstance(outcome, str):
        return RedirectResponse(outcome, status_code=303)
    return await _erasure_page(request, session, user, person_id, outcome)
