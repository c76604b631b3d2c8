"""Submitting a form that is not a case action: read it, call one service, or say why not.

The pages that create something (a proposal, a meeting, an action item) or change it (a
meeting's agenda) all do the same: read the posted fields into the payload class, call the
service, and on refusal show the form again with the posted values and the reasons.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from core.errors import Conflict, InvalidInput
from web.forms import FormErrors, form_values, french_errors, posted_values, refusal_of

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class FormState:
    """A form as its page shows it: the values, the reasons by field, a message, the status.

    By default a blank form; after a refusal, the posted values and why they were refused.
    """

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    status_code: int = 200


async def submit(
    session: AsyncSession,
    payload: type[Model],
    form: FormData,
    act: Callable[[Model], Awaitable[str]],
    *,
    prefix: str = "",
    **fixed: Any,
) -> str | FormState:
    """Read ``payload`` from the fields named ``prefix + field`` (and ``fixed``), then ``act``.

    Returns where to go next (what ``act`` returns), or the refusal: a refused use case has
    written nothing (its unit of work rolled back).
    """
    values = {key.removeprefix(prefix): value for key, value in form_values(form).items()}
    try:
        data = payload.model_validate({**posted_values(payload, form, prefix), **fixed})
        return await act(data)
    except ValidationError as error:
        # The summary names the fields as the form does (their titles), not by their names.
        titles = {name: info.title or name for name, info in payload.model_fields.items()}
        errors, message = refusal_of(FormErrors(french_errors(error, payload), titles))
        refused = FormState(values, errors, message, 422)
    except InvalidInput as error:
        errors, message = refusal_of(error)
        refused = FormState(values, errors, message, 422)
    except Conflict as error:
        refused = FormState(values, {}, error.message, 409)
    return refused
