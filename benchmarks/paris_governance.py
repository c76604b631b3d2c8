"""The governance of ``paris_years``: the plan's committees, their meetings each year, the
decision items they took (with their events) and the action items that followed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

from benchmarks.paris_cases import Party
from benchmarks.paris_people import Referents
from core.enums import PlanAxis

BODIES = (
    ("pilotage", "Comité de pilotage du plan (mesure)", 2),
    ("technique", "Comité technique du plan (mesure)", 4),
    ("projet", "Groupe projet entreprises (mesure)", 6),
    ("projet", "Groupe projet numérique (mesure)", 5),
    ("territorial", "Comité territorial Paris 18e (mesure)", 4),
    ("territorial", "Comité territorial Paris 20e (mesure)", 4),
)
"""(kind, name, meetings a year) of the committees written."""
DECISION_ENDS = (("published", "approved"), ("published", "rejected"), ("adjourned", None))


def committees(referents: Referents, secretary: Party, years: range, created: datetime) -> None:
    """Every body, its members, its meetings of ``years``, their decisions and actions."""
    cases = referents.cases
    draw = cases.random
    axes = [axis.value for axis in PlanAxis]
    for kind, name, per_year in BODIES:
        committee_id = cases.rows.add(
            "committees",
            name=name,
            kind=kind,
            territory="75018" if "18e" in name else "75020" if "20e" in name else "paris",
            created_at=created,
        )
        for member in draw.sample(referents.referents, min(6, len(referents.referents))):
            cases.rows.add(
                "committee_members",
                committee_id=committee_id,
                organisation_id=member.organisation_id,
            )
        for year in years:
            for number in range(per_year):
                day = cases.calendar.number(
                    datetime(year, 1 + number * 12 // per_year, 10, tzinfo=UTC)
                )
                starts = cases.calendar.at(day + draw.randrange(0, 10), 14 * 60)
                if starts > cases.now:
                    continue
                meeting_id = cases.rows.add(
                    "meetings",
                    committee_id=committee_id,
                    starts_at=starts,
                    duration_minutes=120,
                    place="Hôtel de Ville",
                    agenda="Ordre du jour de la séance.",
                    minutes="Compte rendu de la séance.",
                    minutes_published_at=cases.calendar.add(starts, 5),
                    created_at=starts - timedelta(days=30),
                )
                for _ in range(draw.randrange(2, 5)):
                    _decision(referents, secretary, committee_id, meeting_id, starts, axes, draw)


def _decision(
    referents: Referents,
    secretary: Party,
    committee_id: int,
    meeting_id: int,
    starts: datetime,
    axes: list[str],
    draw: Random,
) -> None:
    cases = referents.cases
    proposer = draw.choice(referents.referents)
    proposed = starts - timedelta(days=20)
    state, outcome = draw.choice(DECISION_ENDS)
    decided = starts + timedelta(hours=3)
    published = cases.calendar.add(starts, 5)
    decision_id = cases.rows.peek("decisions")
    cases.event("decision", decision_id, "propose", None, "proposed", proposer, proposed)
    cases.event("decision", decision_id, "schedule", "proposed", "scheduled", secretary, proposed)
    trigger = {"approved": "approve", "rejected": "reject", None: "adjourn"}[outcome]
    cases.event(
        "decision", decision_id, trigger, "scheduled", outcome or "adjourned", secretary, decided
    )
    if state == "published":
        cases.event("decision", decision_id, "publish", outcome, "published", secretary, published)
    cases.rows.add(
        "decisions",
        id=decision_id,
        reference=referents.reference("DC", proposed),
        state=state,
        version=4 if state == "published" else 3,
        committee_id=committee_id,
        meeting_id=meeting_id,
        meeting_at=starts,
        title="Décision générée pour la mesure",
        description="Proposition au comité.",
        kind=draw.choice(("action_plan", "arbitration", "other")),
        axis=draw.choice(axes),
        case_reference=None,
        proposer_organisation_id=proposer.organisation_id,
        territory="paris",
        created_by_id=proposer.user_id,
        outcome=outcome,
        decision_text="Texte de la décision.",
        decided_at=decided,
        created_at=proposed,
        state_entered_at=published if state == "published" else decided,
    )
    if outcome != "approved":
        return
    for _ in range(draw.randrange(1, 3)):
        owner = draw.choice(referents.referents)
        due = cases.calendar.add(starts, draw.randrange(20, 120))
        action_id = cases.rows.peek("action_items")
        cases.event("action", action_id, "assign", None, "open", secretary, published)
        done = cases.calendar.add(published, draw.randrange(5, 140))
        is_done = done <= cases.now and draw.random() < 0.8
        if is_done:
            cases.event("action", action_id, "done", "open", "done", owner, done)
        cases.rows.add(
            "action_items",
            id=action_id,
            reference=referents.reference("AC", published),
            state="done" if is_done else "open",
            version=2 if is_done else 1,
            decision_id=decision_id,
            owner_organisation_id=owner.organisation_id,
            territory="paris",
            title="Action générée pour la mesure",
            due_on=due.date(),
            due_at=due,
            done_note="Faite." if is_done else None,
            created_by_id=secretary.user_id,
            created_at=published,
            state_entered_at=done if is_done else published,
        )
