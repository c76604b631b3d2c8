"""One ``POST /<case>/{id}/<trigger>`` endpoint per human trigger of a lifecycle.

No ``from __future__ import annotations`` here: the endpoints are built in a loop and
FastAPI must see each one's payload class as a real annotation.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel
from sqlalchemy.orm.interfaces import ORMOption

from api.deps import ActorDep, NowDep, SessionDep
from api.errors import error_responses
from core.db import MAX_ID
from services import cases
from services.cases import CaseView
from states.lifecycle import Lifecycle, TransitionSpec

ReadModel = TypeVar("ReadModel", bound=BaseModel)
TIMELINE = {"events", "allowed_actions"}


def case_read(schema: type[ReadModel], view: CaseView) -> ReadModel:
    """The response body of a case: its fields, its events and the caller's actions."""
    return schema.model_validate(
        {
            **{
                key: view.extras[key] if key in view.extras else getattr(view.case, key)
                for key in schema.model_fields
                if key not in TIMELINE
            },
            "events": view.events,
            "allowed_actions": view.allowed_actions,
        },
        from_attributes=True,
    )


def _endpoint(
    lifecycle: Lifecycle,
    spec: TransitionSpec,
    schema: type[ReadModel],
    options: Sequence[ORMOption],
    id_name: str,
) -> Callable[..., Awaitable[ReadModel]]:
    payload_class: Any = spec.payload
    CaseId = Annotated[int, Path(alias=id_name, gt=0, le=MAX_ID)]
    required = any(field.is_required() for field in spec.payload.model_fields.values())

    async def fire(
        session: Any, actor: Any, case_id: int, fields: BaseModel | None, now: Any
    ) -> ReadModel:
        view = await cases.fire_case(
            session, lifecycle, actor, case_id, spec.trigger, fields, now, options
        )
        return case_read(schema, view)

    if required:

        async def with_fields(
            case_id: CaseId,
            fields: Annotated[payload_class, Body()],
            actor: ActorDep,
            session: SessionDep,
            now: NowDep,
        ) -> ReadModel:
            return await fire(session, actor, case_id, fields, now)

        return with_fields

    async def optional_fields(
        case_id: CaseId,
        actor: ActorDep,
        session: SessionDep,
        now: NowDep,
        fields: Annotated[payload_class | None, Body()] = None,
    ) -> ReadModel:
        return await fire(session, actor, case_id, fields, now)

    return optional_fields


def add_trigger_routes(
    router: APIRouter,
    lifecycle: Lifecycle,
    schema: type[ReadModel],
    options: Sequence[ORMOption] = (),
    *,
    id_name: str = "case_id",
    exclude: Sequence[str] = (),
) -> None:
    """Add one endpoint per human trigger of ``lifecycle`` to ``router``.

    ``id_name`` names the path parameter (``referral_id``), as error messages show it;
    ``exclude`` the triggers that have routes of their own.
    """
    for spec in lifecycle.transitions:
        if spec.is_system or spec.trigger in exclude:
            continue
        router.add_api_route(
            f"/{{{id_name}}}/{spec.trigger}",
            _endpoint(lifecycle, spec, schema, options, id_name),
            methods=["POST"],
            response_model=schema,
            responses=error_responses(400, 401, 403, 404, 409, 422),
            name=f"{lifecycle.name}_{spec.trigger}",
            summary=f"Action « {spec.trigger} » ({lifecycle.case_label})",
            description=(spec.payload.__doc__ or "").strip(),
        )
