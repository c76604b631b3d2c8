"""``LabelledEnum``: a closed vocabulary stored by value, each member with its French label."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """A ``StrEnum`` whose members carry the French text a person reads."""

    _value_: str
    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: its first letter in lower case (« plan d'action »)."""
        return self.label[:1].lower() + self.label[1:]

    @property
    def choice_label(self) -> str:
        """What a list of choices shows for the member (its label, unless a vocabulary says)."""
        return self.label

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Every member as ``(value, choice label)``, in declaration order."""
        return [(member.value, member.choice_label) for member in cls]
