"""The people of ``paris_years``: persons across the arrondissements with their publics, and
the accompaniments (référents) and handovers (passages de relais) of some of them.

A person has at most one current accompaniment, as the database's partial unique index
requires: only the first started referral to an accompaniment offer makes its receiver the
référent; a share of those are handed over (the next référent begins at the confirmation,
in the same transaction, as ``states.accompaniment`` does) or end with an exit reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from benchmarks.paris_cases import ACCOMPANIMENT_TIMERS, EXITS, Cases, Party
from benchmarks.paris_rows import as_json
from core.enums import Public, Territory

RESIDENCES = [territory.value for territory in Territory if territory is not Territory.PARIS]
RESIDENCE_WEIGHTS = [
    3 if value in ("75018", "75019", "75020", "75013") else 1 for value in RESIDENCES
]
TYPED_PUBLICS = ("rsa", "ass", "aah", "rqth", "femmes", "familles-enfants", "seniors")
"""Publics a referrer types (those that exist in ``core.enums.Public``); aah and rqth are
health data: present in the data so that the indicators can be checked to leave them out."""
FIRST_NAMES = ("Amina", "Karim", "Sophie", "Moussa", "Léa", "Yanis", "Fatou", "Thomas")
LAST_NAMES = ("Martin", "Diallo", "Bernard", "Nguyen", "Traoré", "Petit", "Haddad", "Roux")


def person_row(person_id: int, created: datetime, draw: Random) -> dict[str, Any]:
    """A person living in Paris, with typed publics and a birth date (young or not)."""
    known = {public.value for public in Public}
    publics = sorted({value for value in TYPED_PUBLICS if value in known and draw.random() < 0.12})
    first, last = draw.choice(FIRST_NAMES), draw.choice(LAST_NAMES)
    return {
        "id": person_id,
        "first_name": first,
        "last_name": f"{last}-{person_id}",
        "birth_date": date(
            draw.randrange(1962, 2008), draw.randrange(1, 13), draw.randrange(1, 29)
        ),
        "email": None,
        "phone": None,
        "residence": draw.choices(RESIDENCES, RESIDENCE_WEIGHTS)[0],
        "lives_in_qpv": draw.random() < 0.25,
        "publics": as_json(publics),
        "created_at": created,
        "anonymised_at": None,
        "consent_withdrawn_at": None,
        "france_travail_id": None,
        "caf_number": None,
        "name_key": f"{last.lower()}-{person_id}|{first.lower()}",
    }


@dataclass
class Referents:
    """Accompaniments and handovers, written into ``cases.rows``."""

    cases: Cases
    referents: list[Party]
    references: dict[str, int]

    def reference(self, prefix: str, at: datetime) -> str:
        """The next reference ``PREFIX-YEAR-NNNNNN`` (after those already handed out)."""
        key = f"{prefix}:{at.year}"
        self.references[key] = self.references.get(key, 0) + 1
        return f"{prefix}-{at.year}-{self.references[key]:06d}"

    def begin(
        self,
        person_id: int,
        referent: Party,
        territory: str,
        source: str,
        source_id: int,
        started: datetime,
    ) -> None:
        """An accompaniment from ``started``: ended, handed over or still active at ``now``."""
        cases, draw = self.cases, self.cases.random
        case_id = cases.rows.peek("accompaniments")
        cases.event("accompaniment", case_id, "begin", None, "active", referent, started)
        row: dict[str, Any] = {
            "id": case_id,
            "reference": self.reference("AP", started),
            "person_id": person_id,
            "organisation_id": referent.organisation_id,
            "territory": territory,
            "source": source,
            "source_id": source_id,
            "started_at": started,
            "ended_at": None,
            "reason": None,
            "started_by_id": None,
            "exit_outcome": None,
            "exit_comment": None,
            "turns_26_at": None,
            "state": "active",
            "version": 1,
            "state_entered_at": started,
        }
        cases.rows.put("accompaniments", row)
        fate = draw.random()
        later = cases.calendar.add(started, draw.randrange(20, 200)) + timedelta(minutes=15)
        left: datetime | None = None
        if later <= cases.now and fate < 0.12:
            left = self._hand_over(row, referent, later)
        elif later <= cases.now and fate < 0.5:
            row["exit_outcome"] = draw.choice(EXITS)
            cases.event(
                "accompaniment",
                case_id,
                "end",
                "active",
                "ended",
                referent,
                later,
                {"outcome": row["exit_outcome"]},
            )
            left = later
        if left is not None:
            row.update(state="ended", ended_at=left, state_entered_at=left, version=2)
        sides: dict[str, Party | str] = {"referent": referent, "coordinators": cases.coordinator}
        cases.timers("accompaniment", case_id, "active", ACCOMPANIMENT_TIMERS, started, left, sides)

    def _hand_over(
        self, accompaniment: dict[str, Any], giver: Party, proposed: datetime
    ) -> datetime | None:
        """A handover proposed at ``proposed``; when it ended the accompaniment, if it did."""
        cases, draw = self.cases, self.cases.random
        taker = draw.choice([party for party in self.referents if party != giver])
        handover_id = cases.rows.peek("handovers")
        row: dict[str, Any] = {
            "id": handover_id,
            "reference": self.reference("PR", proposed),
            "state": "proposed",
            "version": 1,
            "person_id": accompaniment["person_id"],
            "accompaniment_id": accompaniment["id"],
            "from_organisation_id": giver.organisation_id,
            "to_organisation_id": taker.organisation_id,
            "territory": accompaniment["territory"],
            "created_by_id": giver.user_id,
            "reason": "Passage de relais généré pour la mesure.",
            "consent_attested_at": proposed,
            "first_meeting_at": None,
            "decline_reason": None,
            "withdraw_reason": None,
            "created_at": proposed,
            "state_entered_at": proposed,
        }
        cases.rows.put("handovers", row)
        event = cases.event("handover", handover_id, "propose", None, "proposed", giver, proposed)
        cases.mail("handover", handover_id, f"event:{event}", "handover.proposed", taker, proposed)
        answered = cases.calendar.add(proposed, draw.randrange(1, 6))
        fate = draw.random()
        if answered > cases.now:
            return None
        if fate < 0.25:
            row.update(
                state="declined",
                decline_reason="Pas de place.",
                state_entered_at=answered,
                version=2,
            )
            cases.event("handover", handover_id, "decline", "proposed", "declined", taker, answered)
            return None
        if fate < 0.30:
            row.update(
                state="withdrawn",
                withdraw_reason="Projet changé.",
                state_entered_at=answered,
                version=2,
            )
            cases.event(
                "handover", handover_id, "withdraw", "proposed", "withdrawn", giver, answered
            )
            return None
        confirmed = cases.calendar.add(answered, draw.randrange(1, 10))
        meeting = {"first_meeting_at": confirmed.isoformat()}
        cases.event(
            "handover", handover_id, "accept", "proposed", "accepted", taker, answered, meeting
        )
        row["first_meeting_at"] = confirmed
        if confirmed > cases.now:
            row.update(state="accepted", state_entered_at=answered, version=2)
            return None
        row.update(state="completed", state_entered_at=confirmed, version=3)
        cases.event("handover", handover_id, "confirm", "accepted", "completed", taker, confirmed)
        cases.event(
            "accompaniment", accompaniment["id"], "hand_over", "active", "ended", None, confirmed
        )
        self.begin(
            accompaniment["person_id"],
            taker,
            accompaniment["territory"],
            "handover",
            handover_id,
            confirmed,
        )
        return confirmed
