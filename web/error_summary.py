"""The error summary a refused form shows first: how many errors, and a link to each field.

Every form page draws it with the ``error_summary`` macro of ``_forms.html``, which asks
this module what to list: for each refused input, the id of the field to focus, the label
the form gives it, and the message. An error about an input the form does not draw (or
about the form as a whole) is listed without a link, never under its technical name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from web.forms import FormField

Group = tuple[str, Sequence[FormField]]
"""Fields drawn with one prefix on their ids (``field(f, prefix)``)."""


@dataclass(frozen=True)
class ErrorEntry:
    """One line of the summary: the field's label and id (when the form draws it)."""

    message: str
    label: str | None = None
    target: str | None = None

    @property
    def text(self) -> str:
        """The line as read: the label, then the message (unless it names the field)."""
        if self.label is None or self.message.startswith(self.label):
            return self.message
        return f"{self.label} — {self.message}"


def field_id(drawn: FormField, prefix: str = "") -> str | None:
    """The id of the input ``field(drawn, prefix)`` draws first (a list's first box)."""
    base = prefix + drawn.name
    if drawn.kind == "checkboxes":
        return f"{base}-1" if drawn.choices else None
    return base


def error_entries(
    errors: Mapping[str, str] | None,
    groups: Sequence[Group] = (),
    extra: Mapping[str, tuple[str | None, str]] | None = None,
) -> list[ErrorEntry]:
    """The summary's lines, in the order of ``errors`` (``None``: the fields' own errors).

    An input is found among the ``groups`` by its name with or without the group's prefix;
    ``extra`` gives ``(id, label)`` for inputs a page draws by hand (a list of offers; no
    id when it has nothing to focus)."""
    if errors is None:
        errors = {f.name: f.error for _prefix, fields in groups for f in fields if f.error}
    entries = []
    for name, message in errors.items():
        entry = ErrorEntry(message)
        for prefix, fields in groups:
            found = next((f for f in fields if name in {f.name, prefix + f.name}), None)
            if found is not None:
                entry = ErrorEntry(message, found.label, field_id(found, prefix))
                break
        else:
            if extra and name in extra:
                target, label = extra[name]
                entry = ErrorEntry(message, label, target)
        entries.append(entry)
    return entries


def error_heading(count: int) -> str:
    """« Il y a 1 erreur dans le formulaire », « Il y a 2 erreurs … »."""
    return f"Il y a {count} erreur{'s' if count > 1 else ''} dans le formulaire"
