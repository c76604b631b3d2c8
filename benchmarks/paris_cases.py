"""The cases of ``paris_years``: each referral's life drawn at once, written as the engine
would have left it (its row, its events, its timers, its sent emails), and the accompaniments
and handovers that follow some of them.

Deadlines are ``states.referral``'s defaults (3, 5 and 20 business days when submitted...);
a timer whose deadline passed while the case stayed in its state fired (and sent its email),
the others were cancelled when the case left the state, or are still pending at ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from types import SimpleNamespace
from typing import Any

from benchmarks.paris_rows import Calendar, Rows, as_json, recipient_token
from core.enums import EXIT_REASONS, REFERRAL_OUTCOMES, Outcome, ReturnReason, TimerKind
from states.milestones import stamp_milestones
from states.referral import PROGRESS_CHECK_DAYS, PROGRESS_ESCALATION_DAYS, REFERRAL
from states.timers import first_dues

REFERRAL_TIMERS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "submitted": (
        ("reminder", "receiver", 3),
        ("escalation", "coordinators", 5),
        ("trigger", "expire", 20),
    ),
    "returned": (("reminder", "referrer", 5), ("escalation", "coordinators", 10)),
    "accepted": (("reminder", "receiver", 10), ("escalation", "coordinators", 15)),
    "in_progress": (
        ("reminder", "receiver", PROGRESS_CHECK_DAYS),
        ("escalation", "coordinators", PROGRESS_ESCALATION_DAYS),
    ),
    "expired": (("reminder", "referrer", 5), ("escalation", "coordinators", 10)),
}
"""Per state: (kind, target, business days), as ``states.referral.REFERRAL.timers``."""
MILESTONE_COLUMNS = tuple(
    name for milestone in REFERRAL.milestones for name in milestone.attributes
)
"""The referral's columns its transitions stamp, written as the engine would."""
ACCOMPANIMENT_TIMERS = (("reminder", "referent", 90), ("escalation", "coordinators", 100))
NOTICES = {
    "submitted": ("referral.submitted", "receiver"),
    "accepted": ("referral.accepted", "referrer"),
    "returned": ("referral.returned", "referrer"),
    "completed": ("referral.completed", "referrer"),
    "expired": ("referral.expired", "referrer"),
    "cancelled": ("referral.cancelled", "receiver"),
}
RESPONSE_DAYS = (0, 1, 2, 3, 4, 5, 6, 8, 12, 25)
RESPONSE_WEIGHTS = (30, 22, 14, 10, 7, 5, 4, 3, 3, 2)
"""Business days before the receiver answers (25: never, the referral expires)."""
RETURN_REASONS = [reason.value for reason in ReturnReason]
OUTCOMES = [outcome.value for outcome in REFERRAL_OUTCOMES if outcome is not Outcome.DID_NOT_ATTEND]
EXITS = [outcome.value for outcome in EXIT_REASONS]


@dataclass(frozen=True)
class Party:
    """An organisation as the cases need it: its acting member and where emails go."""

    organisation_id: int
    user_id: int
    email: str


@dataclass(frozen=True)
class CaseOffer:
    """An offer with its organisation's member, as the referrals need it."""

    id: int
    receiver: Party
    territory: str
    is_accompaniment: bool
    contact_email: str | None


@dataclass
class Cases:
    """Writes the cases into ``rows``; ``now`` is the end of the simulated years."""

    rows: Rows
    calendar: Calendar
    now: datetime
    coordinator: Party
    random: Random
    # When the last referral drawn started an accompaniment offer (its référent begins).
    last_started: datetime | None = None

    def event(
        self,
        kind: str,
        case_id: int,
        trigger: str,
        source: str | None,
        dest: str,
        actor: Party | None,
        at: datetime,
        payload: dict[str, Any] | None = None,
    ) -> int:
        """One event, as ``states.engine`` writes it."""
        return self.rows.add(
            "events",
            case_kind=kind,
            case_id=case_id,
            trigger=trigger,
            from_state=source,
            to_state=dest,
            actor_id=actor.user_id if actor else None,
            organisation_id=actor.organisation_id if actor else None,
            payload=as_json(payload or {}),
            occurred_at=at,
        )

    def text(self, kind: str, case_id: int, name: str, body: str, at: datetime) -> dict[str, int]:
        """A free text kept in ``case_texts``; the payload's reference to it."""
        text_id = self.rows.add(
            "case_texts",
            case_kind=kind,
            case_id=case_id,
            field=name,
            body=body,
            created_at=at,
            erased_at=None,
        )
        return {"text_id": text_id}

    def mail(
        self, kind: str, case_id: int, cause: str, message: str, to: Party | str, at: datetime
    ) -> None:
        """A sent email of ``cause`` (``event:12`` or ``timer:7``)."""
        email = to if isinstance(to, str) else to.email
        self.rows.add(
            "outbox",
            idempotency_key=f"{cause}:{message}:{recipient_token(email)}",
            message=message,
            case_kind=kind,
            case_id=case_id,
            recipient_email=email,
            recipient_user_id=None if isinstance(to, str) else to.user_id,
            context=as_json({"path": f"/{kind}s/{case_id}"}),
            status="sent",
            attempts=1,
            next_attempt_at=at,
            last_error=None,
            created_at=at,
            sent_at=at + timedelta(seconds=20),
        )

    def timers(
        self,
        kind: str,
        case_id: int,
        state: str,
        specs: tuple[tuple[str, str, int], ...],
        entered: datetime,
        left: datetime | None,
        sides: dict[str, Party | str],
    ) -> None:
        """The timers of one stay in ``state``: fired, cancelled or still pending at ``now``."""
        for timer_kind, target, days in specs:
            due = self.calendar.add(entered, days)
            end = left if left is not None else self.now
            fired = due <= end if timer_kind != "trigger" else left is not None and due == left
            status = "fired" if fired else "pending" if left is None else "cancelled"
            timer_id = self.rows.add(
                "timers",
                case_kind=kind,
                case_id=case_id,
                state=state,
                kind=timer_kind,
                target=target,
                due_at=due,
                status=status,
                created_at=entered,
                fired_at=due if fired else None,
                closed_at=left,
                message=None,
            )
            if fired and timer_kind != "trigger":
                self.mail(kind, case_id, f"timer:{timer_id}", timer_kind, sides[target], due)

    def referral(
        self,
        case_id: int,
        reference: str,
        offer: CaseOffer,
        sender: Party,
        person_id: int,
        submitted: datetime,
        barriers: list[str],
    ) -> dict[str, Any]:
        """A referral's row (with its history written): its fate drawn from ``submitted``."""
        draw = self.random
        receiver = offer.receiver
        sides: dict[str, Party | str] = {
            "receiver": offer.contact_email or receiver,
            "referrer": sender,
            "coordinators": self.coordinator,
        }
        row: dict[str, Any] = {
            "id": case_id,
            "reference": reference,
            "offer_id": offer.id,
            "sender_organisation_id": sender.organisation_id,
            "receiver_organisation_id": receiver.organisation_id,
            "territory": offer.territory,
            "created_by_id": sender.user_id,
            "person_id": person_id,
            "motive": "Orientation générée pour la mesure.",
            "barriers": as_json(barriers),
            "consent_attested_at": submitted,
            "health_data_attested_at": submitted if "sante" in barriers else None,
            "first_appointment_at": None,
            "return_reason": None,
            "return_comment": None,
            "outcome": None,
            "cancel_reason": None,
            "created_at": submitted,
        }
        row |= dict.fromkeys(MILESTONE_COLUMNS)
        history = _History(self, case_id, sides, row)
        history.move("create", None, "draft", sender, submitted)
        history.move("submit", "draft", "submitted", sender, submitted)
        answer_days = draw.choices(RESPONSE_DAYS, RESPONSE_WEIGHTS)[0]
        answered = self.calendar.add(submitted, answer_days) + timedelta(
            minutes=draw.randrange(0, 240)
        )
        fate = draw.random()
        if answer_days >= 20:
            history.move("expire", "submitted", "expired", None, self.calendar.add(submitted, 20))
        elif fate < 0.03:
            reason = self.text("referral", case_id, "reason", "La personne a trouvé.", answered)
            row["cancel_reason"] = "La personne a trouvé."
            history.move("cancel", "submitted", "cancelled", sender, answered, {"reason": reason})
        elif fate < 0.15:
            code = draw.choice(RETURN_REASONS)
            comment = self.text("referral", case_id, "comment", "Voir le dossier.", answered)
            row["return_reason"], row["return_comment"] = code, "Voir le dossier."
            payload = {"reason": code, "comment": comment}
            history.move("return", "submitted", "returned", receiver, answered, payload)
        else:
            self._accepted(history, offer, sender, answered)
        finished = history.finish()
        self.last_started = history.started_accompaniment
        return finished

    def _accepted(
        self, history: _History, offer: CaseOffer, sender: Party, accepted: datetime
    ) -> None:
        draw, receiver, row = self.random, offer.receiver, history.row
        appointment = self.calendar.add(accepted, draw.randrange(1, 10))
        row["first_appointment_at"] = appointment
        payload = {"first_appointment_at": appointment.isoformat()}
        if not history.move("accept", "submitted", "accepted", receiver, accepted, payload):
            return
        fate = draw.random()
        later = self.calendar.add(accepted, draw.randrange(1, 12)) + timedelta(minutes=30)
        if fate < 0.03:
            reason = self.text("referral", row["id"], "reason", "Situation réglée.", later)
            row["cancel_reason"] = "Situation réglée."
            history.move("cancel", "accepted", "cancelled", sender, later, {"reason": reason})
            return
        if fate < 0.10:
            row["outcome"] = Outcome.DID_NOT_ATTEND.value
            payload = {"outcome": row["outcome"]}
            history.move("complete", "accepted", "completed", receiver, later, payload)
            return
        if not history.move("start", "accepted", "in_progress", receiver, later):
            return
        if offer.is_accompaniment:
            history.started_accompaniment = later
        ended = self.calendar.add(later, draw.randrange(20, 220)) + timedelta(minutes=45)
        row["outcome"] = draw.choice(OUTCOMES)
        if not history.move(
            "complete", "in_progress", "completed", receiver, ended, {"outcome": row["outcome"]}
        ):
            row["outcome"] = None


class _History:
    """The transitions of one referral in order: events, timers of each stay, emails."""

    def __init__(
        self, cases: Cases, case_id: int, sides: dict[str, Party | str], row: dict[str, Any]
    ) -> None:
        self.cases, self.case_id, self.sides, self.row = cases, case_id, sides, row
        self.state: str | None = None
        self.entered: datetime | None = None
        self.version = 0
        self.started_accompaniment: datetime | None = None

    def move(
        self,
        trigger: str,
        source: str | None,
        dest: str,
        actor: Party | None,
        at: datetime,
        payload: dict[str, Any] | None = None,
    ) -> bool:
        """Fire ``trigger`` at ``at`` unless that is after ``now``; whether it happened."""
        if at > self.cases.now:
            return False
        self._leave(at)
        event = self.cases.event(
            "referral", self.case_id, trigger, source, dest, actor, at, payload
        )
        if dest in NOTICES and dest != source:
            message, side = NOTICES[dest]
            self.cases.mail(
                "referral", self.case_id, f"event:{event}", message, self.sides[side], at
            )
        self._stamp(trigger, dest, at)
        self.state, self.entered = dest, at
        self.version += 1
        return True

    def _stamp(self, trigger: str, dest: str, at: datetime) -> None:
        """The milestones the engine would stamp on the row (``states.milestones``)."""
        planned = [
            {"kind": TimerKind(kind), "due_at": self.cases.calendar.add(at, days)}
            for kind, _, days in REFERRAL_TIMERS.get(dest, ())
        ]
        case = SimpleNamespace(**{name: self.row[name] for name in MILESTONE_COLUMNS})
        stamp_milestones(REFERRAL.milestones, case, trigger, at, first_dues(planned))
        self.row.update(vars(case))

    def _leave(self, at: datetime | None) -> None:
        if self.state is None or self.entered is None:
            return
        specs = REFERRAL_TIMERS.get(self.state, ())
        if specs:
            self.cases.timers(
                "referral", self.case_id, self.state, specs, self.entered, at, self.sides
            )

    def finish(self) -> dict[str, Any]:
        """The row as it stands at ``now``, its last stay's timers written."""
        self._leave(None)
        assert self.state is not None and self.entered is not None
        self.row.update(state=self.state, version=self.version, state_entered_at=self.entered)
        return self.row
