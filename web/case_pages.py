"""A case's page and its action forms, for any lifecycle.

Like ``api.triggers`` for the API, the page of a case is derived from its lifecycle's
declaration: one form per action the caller may take now, with that trigger's fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import MAX_ID
from core.enums import AccessChannel
from core.errors import Conflict, InvalidInput, NotFound
from services import access_log, case_story, cases, directory
from services.access_log import Reading
from services.cases import CaseView
from services.inbox import case_deadlines
from states.actor import Actor
from states.lifecycle import Lifecycle
from web.deps import NowDep, SessionDep, WebUserDep
from web.forms import (
    Choice,
    FormErrors,
    FormField,
    form_fields,
    form_values,
    parse_form,
    refusal_of,
)
from web.rendering import render
from web.session import WebUser

CaseId = Annotated[int, Path(gt=0, le=MAX_ID)]


class Loader(Protocol):
    """A lifecycle's service reading one case (``read``: to show it, logged)."""

    def __call__(
        self, session: AsyncSession, actor: Actor, case_id: int, /, *, read: Reading | None = None
    ) -> Awaitable[CaseView]: ...


ChoicesFor = Callable[
    [AsyncSession, Actor, CaseView, datetime], Awaitable[Mapping[str, Sequence[Choice]]]
]
Prefill = Callable[[CaseView], Mapping[str, Mapping[str, Any]]]
ContextFor = Callable[[AsyncSession, WebUser, CaseView, datetime], Awaitable[Mapping[str, Any]]]
"""What a lifecycle's page shows besides the case itself (its related items, other forms)."""


@dataclass(frozen=True)
class ActionForm:
    """One action the caller is offered, with its fields."""

    trigger: str
    label: str
    fields: list[FormField]
    open: bool
    refusal: str | None = None
    """Why the action may not be taken yet (shown beside its disabled button), or None."""


@dataclass(frozen=True)
class CasePages:
    """How a lifecycle's cases are shown: where, loaded how, with which template."""

    lifecycle: Lifecycle
    load: Loader
    template: str
    choices: ChoicesFor | None = None
    prefill: Prefill | None = None
    context: ContextFor | None = None

    async def render_case(
        self,
        request: Request,
        session: AsyncSession,
        user: WebUser,
        case_id: int,
        now: datetime,
        *,
        failed: str | None = None,
        errors: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        message: str | None = None,
        status_code: int = 200,
        extra: Mapping[str, Any] | None = None,
    ) -> Response:
        """The case page; ``failed`` names the action whose form is shown again.

        ``extra`` overrides what ``context`` adds to the page (a form shown again, say).
        """
        view = await self.load(session, user.actor, case_id, read=Reading(AccessChannel.PAGE, now))
        added = await self.context(session, user, view, now) if self.context else {}
        shown_again = (failed, values, errors)
        actions = await self._action_forms(session, user.actor, view, now, shown_again)
        return render(
            request,
            self.template,
            {
                "title": f"{self.lifecycle.case_label.capitalize()} {view.case.reference}",
                "case": view.case,
                "events": view.events,
                "history": await case_story.history(
                    session, self.lifecycle, view.case, view.events
                ),
                "actions": actions,
                "lifecycle": self.lifecycle,
                "deadlines": await case_deadlines(session, self.lifecycle, case_id, now),
                "organisation_names": {
                    item.id: item.name for item in await directory.list_organisations(session)
                },
                "error": message,
                "notice": await self._notice(session, view, request.query_params.get("fait"), now),
                "now": now,
                "accesses": await access_log.shown_case_accesses(
                    session, user.actor, self.lifecycle, view.case
                ),
                **added,
                **(extra or {}),
            },
            status_code=status_code,
        )

    async def _action_forms(
        self,
        session: AsyncSession,
        actor: Actor,
        view: CaseView,
        now: datetime,
        shown_again: tuple[str | None, Mapping[str, Any] | None, Mapping[str, str] | None],
    ) -> list[ActionForm]:
        """One form per action the caller is offered (a refused one shown disabled, with its
        reason); the ``failed`` one keeps what was typed."""
        failed, values, errors = shown_again
        choices = await self.choices(session, actor, view, now) if self.choices else {}
        prefill = self.prefill(view) if self.prefill else {}
        forms = [
            ActionForm(
                trigger,
                self.lifecycle.trigger_label(trigger),
                form_fields(
                    self.lifecycle.transition(trigger).payload,
                    choices=choices,
                    values=values if trigger == failed else prefill.get(trigger),
                    errors=errors if trigger == failed else None,
                ),
                trigger == failed,
                view.refusals.get(trigger),
            )
            for trigger in view.allowed_actions
        ]
        # A form whose required list offers nothing could never be sent (no co-accompanying
        # organisation to withdraw): it is left out.
        return [
            form
            for form in forms
            if not any(f.kind == "select" and f.required and not f.choices for f in form.fields)
        ]

    async def _notice(
        self, session: AsyncSession, view: CaseView, done: str | None, now: datetime
    ) -> str | None:
        """What the page says after an action went through (``?fait=<trigger>``): what
        happened and what comes next (``services.case_story``)."""
        if done in (self.lifecycle.creation.trigger, *self.lifecycle.triggers):
            return await case_story.done_notice(session, self.lifecycle, view.case, done, now)
        return None

    def add_routes(self, router: APIRouter) -> None:
        """``GET <path>/{id}`` and ``POST <path>/{id}/actions/{trigger}`` on ``router``."""

        async def case_page(
            request: Request, case_id: CaseId, user: WebUserDep, session: SessionDep, now: NowDep
        ) -> Response:
            return await self.render_case(request, session, user, case_id, now)

        async def act(
            request: Request,
            case_id: CaseId,
            trigger: Annotated[str, Path(max_length=32)],
            user: WebUserDep,
            session: SessionDep,
            now: NowDep,
        ) -> Response:
            if trigger not in self.lifecycle.human_triggers:
                raise NotFound("Action inconnue.")
            form = await request.form()
            payload = self.lifecycle.transition(trigger).payload
            # Each action's inputs are prefixed: several forms share one page.
            prefix = f"{trigger}-"
            values = {key.removeprefix(prefix): value for key, value in form_values(form).items()}
            try:
                fields = parse_form(payload, form, prefix)
                await cases.fire_only(
                    session, self.lifecycle, user.actor, case_id, trigger, fields, now
                )
            except (FormErrors, InvalidInput) as refused:
                errors, message = refusal_of(refused)
                return await self.render_case(
                    request, session, user, case_id, now, failed=trigger, errors=errors,
                    values=values, message=message, status_code=422,
                )  # fmt: skip
            except Conflict as refused:
                return await self.render_case(
                    request, session, user, case_id, now, message=refused.message, status_code=409
                )
            try:
                await self.load(session, user.actor, case_id)
            except NotFound:
                # The action took the case out of the actor's sight (a co-accompanying
                # organisation withdrew itself): back to the list.
                return RedirectResponse(self.lifecycle.path, status_code=303)
            return RedirectResponse(
                f"{self.lifecycle.case_path(case_id)}?fait={trigger}", status_code=303
            )

        router.add_api_route(f"{self.lifecycle.path}/{{case_id}}", case_page, methods=["GET"])
        router.add_api_route(
            f"{self.lifecycle.path}/{{case_id}}/actions/{{trigger}}", act, methods=["POST"]
        )
