"""The erasable text store: what a person typed about a person's case, out of the events.

Events are append-only. A payload field typed ``PersonalComment`` / ``PersonalLongText``
(``states.fields.PERSONAL``) is written to ``case_texts`` in the transition's transaction;
the event's payload keeps ``{"<field>": {"text_id": <id>}}``. Readers resolve the references
(``resolve_payloads``): they see the text, or ``ERASED`` once the person was anonymised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Annotated, Any, cast, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import CaseText
from states.fields import PersonalText

ERASED = "[effacé]"
"""What a reader sees of a text erased by anonymisation."""
TEXT_ID = "text_id"
"""The key of a reference to the text store in an event's payload."""

CASE_TEXTS = cast(Table, CaseText.__table__)
STORE_TEXT = insert(CASE_TEXTS).returning(CASE_TEXTS.c.id)


def _marked(annotation: Any) -> bool:
    """Whether ``annotation`` (or a member of its union) carries the ``PersonalText`` mark."""
    if get_origin(annotation) is Annotated:
        if any(isinstance(item, PersonalText) for item in annotation.__metadata__):
            return True
        return _marked(get_args(annotation)[0])
    return any(_marked(argument) for argument in get_args(annotation))


def _is_personal(info: FieldInfo) -> bool:
    return any(isinstance(item, PersonalText) for item in info.metadata) or _marked(info.annotation)


@cache
def personal_fields(payload: type[BaseModel]) -> frozenset[str]:
    """The fields of ``payload`` that are free text about the person (declared, not guessed)."""
    return frozenset(name for name, info in payload.model_fields.items() if _is_personal(info))


async def stored_payload(
    session: AsyncSession, case_kind: str, case_id: int, fields: BaseModel | None, now: Any
) -> dict[str, Any]:
    """The event payload of ``fields``: its personal texts written to the store (in the
    caller's transaction) and replaced by their references."""
    if fields is None:
        return {}
    payload = fields.model_dump(mode="json", exclude_none=True)
    for name in sorted(personal_fields(type(fields)) & payload.keys()):
        stored = await session.execute(
            STORE_TEXT,
            {
                "case_kind": case_kind,
                "case_id": case_id,
                "field": name,
                "body": payload[name],
                "created_at": now,
            },
        )
        payload[name] = {TEXT_ID: stored.scalar_one()}
    return payload


def _reference(value: Any) -> int | None:
    if isinstance(value, Mapping) and set(value) == {TEXT_ID}:
        reference = value[TEXT_ID]
        if isinstance(reference, int):
            return reference
    return None


async def resolve_payloads(
    session: AsyncSession, payloads: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The payloads with their text references replaced by the texts (``ERASED`` once
    erased), in one query."""
    copies = [dict(payload) for payload in payloads]
    wanted = {
        reference
        for payload in copies
        for value in payload.values()
        if (reference := _reference(value)) is not None
    }
    bodies: dict[int, str | None] = {}
    if wanted:
        found = await session.execute(
            select(CaseText.id, CaseText.body).where(CaseText.id.in_(sorted(wanted)))
        )
        bodies = {text_id: body for text_id, body in found.tuples()}
    for payload in copies:
        for name, value in payload.items():
            reference = _reference(value)
            if reference is not None:
                body = bodies.get(reference)
                payload[name] = ERASED if body is None else body
    return copies
