"""HTML forms from the payload classes the engine already validates.

A trigger's form is derived from its payload class (an enum becomes a list, long text a
text area, an instant a date-and-time field), so that the page, the API and the engine
accept exactly the same fields. Posted values are read back into that same class.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, ValidationError
from pydantic.fields import FieldInfo
from starlette.datastructures import FormData

from core.business_days import PARIS, assume_paris
from core.enums import LabelledEnum
from core.errors import InvalidInput
from states.fields import Offered
from web.form_messages import french_message

TEXTAREA_FROM = 300
"""Texts allowed longer than this get a text area rather than a one-line field."""

INTEGER = re.compile(r"(-?)0*([0-9]+)")
"""A whole number as typed in a form: ASCII digits only (``"²".isdigit()`` is true, and
``int("²")`` fails)."""
BEYOND_ANY_BOUND = 10**18
"""Stands for a number of more digits, larger than any field allows: ``int()`` refuses to
read thousands of digits, and the bounds of the payload class refuse this one in French."""

Choice = tuple[str, str]
Model = TypeVar("Model", bound=BaseModel)


@dataclass
class FormField:
    """One field of a form as the template draws it."""

    name: str
    label: str
    kind: str  # text, textarea, select, checkboxes, datetime, date, checkbox, number
    required: bool
    choices: Sequence[Choice] = ()
    value: Any = None
    error: str | None = None
    max_length: int | None = None


@dataclass
class FormErrors(Exception):
    """Posted values that the payload class refuses, by field, in French."""

    errors: dict[str, str] = field(default_factory=dict)
    # Input name -> what the form calls the field (the payload's ``Field(title=…)``).
    titles: Mapping[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line listing the fields to correct."""
        return "Corrigez les champs signalés : " + ", ".join(
            self.titles.get(name, name) for name in self.errors
        )


def _is_none(member: Any) -> bool:
    """``None``, also when annotated (``SkipJsonSchema[None]``: optional, not nullable)."""
    while get_origin(member) is Annotated:
        member = get_args(member)[0]
    return member is type(None)


def _unwrap(info: FieldInfo) -> tuple[Any, bool, list[Any]]:
    """The field's type without ``None`` nor ``Annotated``, whether it is optional, and
    the constraints found on the way."""
    annotation = info.annotation
    optional = False
    metadata = list(info.metadata)
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if not _is_none(arg)]
        optional = len(members) < len(get_args(annotation))
        annotation = members[0] if len(members) == 1 else annotation
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        metadata.extend(extra)
    if annotation is AwareDatetime:
        annotation = datetime
    return annotation, optional, metadata


def _max_length(metadata: list[Any]) -> int | None:
    for item in metadata:  # StringConstraints and annotated_types.MaxLen both say max_length
        limit = getattr(item, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


def _kind(annotation: Any, metadata: list[Any]) -> tuple[str, Sequence[Choice]]:
    if get_origin(annotation) is list:
        (member,) = get_args(annotation)
        # A list of ids (organisations...) gets its choices from the page (``choices``).
        vocabulary = isinstance(member, type) and issubclass(member, StrEnum)
        return "checkboxes", _choices(member) if vocabulary else ()
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        offered = next((item for item in metadata if isinstance(item, Offered)), None)
        return "select", _choices(annotation, offered.members if offered else None)
    if annotation is bool:
        return "checkbox", ()
    if isinstance(annotation, type) and issubclass(annotation, datetime):
        return "datetime", ()
    if isinstance(annotation, type) and issubclass(annotation, date):
        return "date", ()
    if annotation is int:
        return "number", ()
    limit = _max_length(metadata)
    return ("textarea" if limit is not None and limit > TEXTAREA_FROM else "text"), ()


def _choices(vocabulary: type[StrEnum], offered: Sequence[StrEnum] | None = None) -> list[Choice]:
    if issubclass(vocabulary, LabelledEnum):
        choices = vocabulary.choices()
        return [choice for choice in choices if offered is None or choice[0] in offered]
    return [(member.value, member.value) for member in vocabulary]


def form_fields(
    payload: type[BaseModel],
    *,
    choices: Mapping[str, Sequence[Choice]] | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[FormField]:
    """The fields of ``payload`` as a form; ``choices`` lists the values of id fields.

    A field kept only for the API's old clients (``json_schema_extra={"legacy": True}``)
    is not drawn."""
    drawn = []
    for name, info in payload.model_fields.items():
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("legacy"):
            continue
        annotation, optional, metadata = _unwrap(info)
        kind, options = _kind(annotation, metadata)
        if choices and name in choices:
            kind, options = ("checkboxes" if kind == "checkboxes" else "select"), choices[name]
        drawn.append(
            FormField(
                name=name,
                label=info.title or name,
                kind=kind,
                required=info.is_required() and not optional,
                choices=options,
                value=(values or {}).get(name),
                error=(errors or {}).get(name),
                max_length=_max_length(metadata) if kind in {"text", "textarea"} else None,
            )
        )
    return drawn


def _local_moment(text: str) -> str:
    """A ``datetime-local`` value is Paris time: give it its offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return assume_paris(moment).isoformat()


def _whole_number(text: str) -> int | str:
    """``text`` as a number when it is one, else as typed (the payload class says what is
    wrong)."""
    found = INTEGER.fullmatch(text.strip())
    if found is None:
        return text
    sign, digits = found.groups()
    value = int(digits) if len(digits) < len(str(BEYOND_ANY_BOUND)) else BEYOND_ANY_BOUND
    return -value if sign else value


def posted_values(payload: type[BaseModel], form: FormData, prefix: str = "") -> dict[str, Any]:
    """The posted fields of ``payload`` (named ``prefix + field``), typed as the API sends them."""
    data: dict[str, Any] = {}
    for name, info in payload.model_fields.items():
        annotation, _optional, _metadata = _unwrap(info)
        key = prefix + name
        if get_origin(annotation) is list:
            values = [value for value in form.getlist(key) if isinstance(value, str)]
            (member,) = get_args(annotation)
            while get_origin(member) is Annotated:
                member = get_args(member)[0]
            data[name] = [_whole_number(value) for value in values] if member is int else values
            continue
        if annotation is bool:
            data[name] = form.get(key) == "on"
            continue
        raw = form.get(key)
        if not isinstance(raw, str) or raw.strip() == "":
            continue  # absent: the payload class says whether that is allowed
        if isinstance(annotation, type) and issubclass(annotation, datetime):
            data[name] = _local_moment(raw)
        elif annotation is int:
            data[name] = _whole_number(raw)
        else:
            data[name] = raw
    return data


def parse_form(payload: type[Model], form: FormData, prefix: str = "") -> Model:
    """The posted fields read into ``payload``; ``FormErrors`` says what to correct."""
    data = posted_values(payload, form, prefix)
    try:
        return payload.model_validate(data)
    except ValidationError as error:
        titles = {name: info.title or name for name, info in payload.model_fields.items()}
        raise FormErrors(french_errors(error, payload), titles) from error


def french_errors(error: ValidationError, payload: type[BaseModel] | None = None) -> dict[str, str]:
    """pydantic's errors as ``{input name: message in French}`` (``web.form_messages``).

    With ``payload``, each message fits how its field is drawn (a list is chosen from, a
    box is ticked)."""
    found: dict[str, str] = {}
    for item in error.errors():
        # Named as the form names its inputs: person_first_name; a list's index is dropped.
        parts = [str(part) for part in item.get("loc", ()) if not isinstance(part, int)]
        location = "_".join(parts) or "formulaire"
        kind = _drawn_kind(payload, parts) if payload else None
        found.setdefault(location, french_message(item, kind))
    return found


def _drawn_kind(payload: type[BaseModel], parts: Sequence[str]) -> str | None:
    """How the form draws the field at ``parts`` (a nested payload's field too)."""
    model = payload
    for depth, part in enumerate(parts):
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation, _optional, metadata = _unwrap(info)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        if depth != len(parts) - 1:
            return None
        kind, _choices = _kind(annotation, metadata)
        # An id is chosen from the list the page gives (``form_fields(choices=…)``).
        return "select" if part.endswith("_id") and kind == "number" else kind
    return None


def refusal_of(
    error: ValidationError | FormErrors | InvalidInput, payload: type[BaseModel] | None = None
) -> tuple[dict[str, str], str]:
    """The fields to correct and the message a refused form shows again (``payload``: the
    class that refused them, for messages that fit each field)."""
    if isinstance(error, ValidationError):
        error = FormErrors(french_errors(error, payload))
    if isinstance(error, FormErrors):
        return error.errors, error.summary()
    return ({error.field: error.message} if error.field else {}), error.message


def form_values(form: FormData) -> dict[str, Any]:
    """The posted values, to fill the form again after a refusal."""
    values: dict[str, Any] = {}
    for key in form:
        items = form.getlist(key)
        values[key] = items if len(items) > 1 else items[0]
    return values


def local_input(moment: datetime) -> str:
    """``moment`` as a ``datetime-local`` field shows it: Paris time, to the minute."""
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
