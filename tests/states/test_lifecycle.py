"""The lifecycle declarations: checked at import, one machine per lifecycle, no state kept."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from transitions import MachineError

from core.enums import MessageKey
from notifications.catalog import MESSAGES
from states.lifecycle import CaseHandle, Notice, TimerSpec, TransitionSpec, move
from states.referral import REFERRAL
from states.registry import LIFECYCLES

Sessions = async_sessionmaker[AsyncSession]


def test_declaration_refuses_unknown_states() -> None:
    wrong_dest = (
        *REFERRAL.transitions,
        TransitionSpec(
            trigger="lose", label="Perdre", sources=("submitted",), dest="lost", sides=frozenset()
        ),
    )
    with pytest.raises(ValueError, match="lost"):
        dataclasses.replace(REFERRAL, transitions=wrong_dest)
    wrong_source = (
        *REFERRAL.transitions,
        TransitionSpec(
            trigger="find", label="Trouver", sources=("lost",), dest="draft", sides=frozenset()
        ),
    )
    with pytest.raises(ValueError, match="lost"):
        dataclasses.replace(REFERRAL, transitions=wrong_source)
    wrong_timer = {
        **REFERRAL.timers,
        "limbo": (
            TimerSpec(kind=REFERRAL.timers["returned"][0].kind, business_days=1, target="x"),
        ),
    }
    with pytest.raises(ValueError, match="limbo"):
        dataclasses.replace(REFERRAL, timers=wrong_timer)
    with pytest.raises(ValueError, match="nowhere"):
        dataclasses.replace(REFERRAL, initial="nowhere")


def test_declaration_refuses_a_transition_keeping_its_timers_out_of_its_state() -> None:
    """A case's open timers are its state's (the overdue reads count on it): a transition
    that keeps them must stay in its state."""
    stays = TransitionSpec(
        trigger="note",
        label="Noter",
        sources=("accepted",),
        dest="accepted",
        sides=frozenset(),
        keeps_timers=True,
    )
    dataclasses.replace(REFERRAL, transitions=(*REFERRAL.transitions, stays))
    leaves = dataclasses.replace(stays, trigger="slip", dest="in_progress")
    with pytest.raises(ValueError, match="slip"):
        dataclasses.replace(REFERRAL, transitions=(*REFERRAL.transitions, leaves))
    from_two = dataclasses.replace(stays, trigger="blur", sources=("accepted", "in_progress"))
    with pytest.raises(ValueError, match="blur"):
        dataclasses.replace(REFERRAL, transitions=(*REFERRAL.transitions, from_two))


def test_declaration_refuses_unknown_messages_audiences_and_copied_fields() -> None:
    accept = REFERRAL.transition("accept")

    def with_accept(**changes: Any) -> tuple[TransitionSpec, ...]:
        changed = dataclasses.replace(accept, **changes)
        return tuple(changed if spec is accept else spec for spec in REFERRAL.transitions)

    lost = Notice(message="referral.lost", to="referrer")  # type: ignore[arg-type]
    unknown_message = with_accept(notices=(lost,))
    with pytest.raises(ValueError, match=r"referral\.lost"):
        dataclasses.replace(REFERRAL, transitions=unknown_message)
    nobody = with_accept(notices=(Notice(message=MessageKey.REFERRAL_ACCEPTED, to="nobody"),))
    with pytest.raises(ValueError, match="nobody"):
        dataclasses.replace(REFERRAL, transitions=nobody)
    no_such_field = with_accept(copies={"first_appointment": "first_appointment_at"})
    with pytest.raises(ValueError, match="first_appointment"):
        dataclasses.replace(REFERRAL, transitions=no_such_field)
    # The declaration as written is accepted: each check above changed one thing only.
    assert dataclasses.replace(REFERRAL, transitions=with_accept()).transitions


def test_every_message_the_lifecycles_send_has_a_template() -> None:
    sent = {
        notice.message
        for lifecycle in LIFECYCLES.values()
        for notices in (
            lifecycle.creation.notices,
            *(spec.notices for spec in lifecycle.transitions),
        )
        for notice in notices
    }
    assert sent <= set(MESSAGES)
    # Every lifecycle message is sent by some transition (the rest are the sweep's and flows',
    # and the "mot de passe oublié" link of services.passwords).
    by_flows = {
        MessageKey.REMINDER,
        MessageKey.ESCALATION,
        MessageKey.DIGEST,
        MessageKey.GOVERNANCE_PILOTAGE,
        MessageKey.GOVERNANCE_TECHNIQUE,
        MessageKey.ACCOUNT_RESET,
        # Written by the add_partner effect: its recipient is the organisation just added.
        MessageKey.ACCOMPANIMENT_PARTNER_ADDED,
    }
    # What the sweep sends for a milestone timer (a birthday), instead of a plain reminder.
    milestones = {
        spec.message
        for lifecycle in LIFECYCLES.values()
        for specs in lifecycle.timers.values()
        for spec in specs
        if spec.message is not None
    }
    assert sent | by_flows | milestones == set(MessageKey)


def test_move_detaches_its_handle_even_when_the_trigger_is_refused() -> None:
    case = SimpleNamespace(state="submitted")
    move(REFERRAL, case, "accept")
    assert case.state == "accepted"
    assert REFERRAL.machine.models == []
    with pytest.raises(MachineError):
        move(REFERRAL, case, "submit")
    assert case.state == "accepted"
    assert REFERRAL.machine.models == []


def test_the_machine_binds_only_trigger_on_the_handle_it_moves() -> None:
    """A handle lives for one transition: the machine binds nothing on it but ``trigger``
    (transitions would otherwise build a method per trigger and state at every transition)."""
    handle = CaseHandle(SimpleNamespace(state="submitted"))
    REFERRAL.machine.add_model(handle, initial="submitted")
    try:
        bound = {name for name in vars(handle) if not name.startswith("_")}
        assert bound == {"trigger", "may_trigger"}
        handle.trigger("accept")  # type: ignore[attr-defined]
    finally:
        REFERRAL.machine.remove_model(handle)
    assert handle.state == "accepted"
