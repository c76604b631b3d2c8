"""Years of a Paris-scale plan written in bulk into PostgreSQL, for measuring pages at scale.

``generate`` adds to a migrated database (the demo may be in it) about 170 organisations of
the plan's kinds with one member each, ~300 offers on the plan's ten sub-axes (some on two),
persons across the arrondissements, and ``referrals`` referrals spread over ``years`` years,
each in the state its drawn life left it in, with the events, timers, sent emails and texts
the engine would have written (``paris_cases``), the accompaniments and handovers of some
persons (``paris_people``) and the committees' meetings, decisions and actions
(``paris_governance``). Rows are written by ``COPY``, not through the engine: the same seed
gives the same data. ``python -m benchmarks.paris_years DATABASE_URL [--scale 0.1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from typing import Any

import asyncpg

from benchmarks.paris_cases import CaseOffer, Cases, Party
from benchmarks.paris_governance import committees
from benchmarks.paris_people import Referents, person_row
from benchmarks.paris_rows import Calendar, Rows, as_json
from core.business_days import PARIS
from core.enums import OfferCategory, PlanAxis, Territory

REFERRALS = 180_000
FIRST_YEAR = 2024
YEARS = 3
SEED = 2026
SECTORS = [territory.value for territory in Territory if territory is not Territory.PARIS]
PARTNERS: tuple[tuple[str, str, int, int, bool], ...] = (
    # kind, name, how many (one per sector when 17), offers each, accompanies (référent)
    ("epi", "Espace parisien d'insertion", 17, 3, True),
    ("casvp", "CASVP", 17, 1, False),
    ("france_travail", "Agence France Travail", 12, 2, True),
    ("mission_locale", "Mission locale", 5, 3, True),
    ("cap_emploi", "Cap emploi", 1, 2, True),
    ("caf", "CAF", 1, 2, False),
    ("cpam", "CPAM", 1, 1, False),
    ("epec", "EPEC", 1, 3, False),
    ("region", "Région", 1, 4, False),
    ("cci", "CCI", 1, 2, False),
    ("cma", "CMA", 1, 2, False),
    ("ville", "Ville de Paris", 1, 2, False),
    ("siae", "Structure d'insertion", 45, 2, False),
    ("association", "Association", 66, 2, False),
)
BARRIERS = ("logement", "mobilite", "numerique", "langue", "sante")
SENDING_WEIGHTS = {"epi": 6, "casvp": 4, "france_travail": 5, "mission_locale": 5, "ville": 3}
TABLES = (
    "organisations",
    "users",
    "offers",
    "offer_sub_axes",
    "persons",
    "referrals",
    "accompaniments",
    "handovers",
    "committees",
    "committee_members",
    "meetings",
    "decisions",
    "action_items",
    "events",
    "timers",
    "outbox",
    "case_texts",
)
"""Every table written, parents first."""


@dataclass(frozen=True)
class Generated:
    """What was written, and how long it took."""

    referrals: int
    rows: int
    seconds: float


@dataclass
class World:
    """The partners written: who sends, which offers receive, who is a référent."""

    senders: list[Party]
    sender_weights: list[int]
    offers: list[CaseOffer]
    referents: list[Party]


async def _start(connection: asyncpg.Connection) -> tuple[Rows, dict[str, Any], dict[str, int]]:
    """Ids after what the database holds, the demo's coordinator and secretary, references."""
    first_ids = {
        table: int(await connection.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
        for table in TABLES
        if table not in ("offer_sub_axes", "committee_members")
    }
    staff: dict[str, Any] = {}
    for role in ("coordinator", "secretary"):
        row = await connection.fetchrow(
            "SELECT id, organisation_id, email, hashed_password FROM users WHERE role = $1 "
            "AND is_active AND (scope_territory IS NULL OR $1 <> 'coordinator') "
            "ORDER BY id LIMIT 1",
            role,
        )
        if row is None:
            raise RuntimeError(f"aucun compte {role} : créez d'abord la démo (relais demo)")
        staff[role] = row
    references = {
        f"{row['prefix']}:{row['year']}": row["last_value"]
        for row in await connection.fetch(
            "SELECT prefix, year, last_value FROM reference_sequences"
        )
    }
    return Rows(first_ids), staff, references


def _world(rows: Rows, draw: Random, password: str, created: datetime) -> World:
    """The partners, a member each, their offers and the offers' sub-axes."""
    categories = [category.value for category in OfferCategory]
    sub_axes = [axis.value for axis in PlanAxis]
    world = World([], [], [], [])
    for kind, name, count, offers, accompanies in PARTNERS:
        for number in range(count):
            sector = SECTORS[number % len(SECTORS)] if count > 1 else "paris"
            label = f"{name} {number + 1} (mesure)" if count > 1 else f"{name} (mesure)"
            organisation_id = rows.add(
                "organisations",
                name=label,
                kind=kind,
                territory=sector,
                is_active=True,
                created_at=created,
            )
            email = f"membre-{organisation_id}@paris-mesure.test"
            user_id = rows.add(
                "users",
                email=email,
                hashed_password=password,
                is_active=True,
                is_superuser=False,
                is_verified=True,
                organisation_id=organisation_id,
                role="member",
                full_name=f"Conseiller·ère {organisation_id}",
                work_phone=None,
                scope_territory=None,
                created_at=created,
                session_version=0,
            )
            party = Party(organisation_id, user_id, email)
            if kind in SENDING_WEIGHTS or kind == "association":
                world.senders.append(party)
                world.sender_weights.append(SENDING_WEIGHTS.get(kind, 1))
            if accompanies:
                world.referents.append(party)
            for offer_number in range(offers):
                is_accompaniment = accompanies and offer_number == 0
                territory = sector if draw.random() < 0.7 else "paris"
                contact = f"offre-{organisation_id}-{offer_number}@paris-mesure.test"
                offer_id = rows.add(
                    "offers",
                    organisation_id=organisation_id,
                    title=f"Offre {offer_number + 1} — {label}",
                    description="Offre de mesure.",
                    category=draw.choice(categories),
                    territory=territory,
                    eligible_publics=as_json([]),
                    contact_email=contact if draw.random() < 0.3 else None,
                    capacity=None,
                    is_active=True,
                    is_accompaniment=is_accompaniment,
                    reminder_days=None,
                    escalation_days=None,
                    expiry_days=None,
                    progress_check_days=None,
                    modes_accueil=as_json([]),
                    frais=as_json([]),
                    thematiques=as_json([]),
                    source=None,
                    source_id=None,
                    created_at=created,
                )
                axes = draw.sample(sub_axes, 2 if draw.random() < 0.25 else 1)
                for axis in axes:
                    rows.add("offer_sub_axes", offer_id=offer_id, sub_axis=axis)
                world.offers.append(
                    CaseOffer(
                        offer_id,
                        party,
                        territory,
                        is_accompaniment,
                        contact if rows.tables["offers"].rows[-1]["contact_email"] else None,
                    )
                )
    return world


def _submissions(
    calendar: Calendar, count: int, first_year: int, years: int, draw: Random
) -> list[datetime]:
    """``count`` submission instants, in business hours, evenly over the years, in order."""
    first = calendar.number(datetime(first_year, 1, 1, tzinfo=UTC))
    last = calendar.number(datetime(first_year + years, 1, 1, tzinfo=UTC)) - 1
    return sorted(
        calendar.at(draw.randint(first, last), draw.randrange(9 * 60, 13 * 60))
        for _ in range(count)
    )


CHUNK = 20_000
"""Referrals drawn before their rows are written (and forgotten): memory stays flat."""


async def generate(
    connection: asyncpg.Connection,
    *,
    referrals: int = REFERRALS,
    first_year: int = FIRST_YEAR,
    years: int = YEARS,
    seed: int = SEED,
) -> Generated:
    """Write the years into the database ``connection`` reaches (migrated, with the demo),
    in one transaction."""
    started = time.perf_counter()
    draw = Random(seed)
    rows, staff, references = await _start(connection)
    calendar = Calendar(first_year, first_year + years)
    created = datetime(first_year - 1, 12, 1, 9, tzinfo=PARIS)
    now = datetime(first_year + years - 1, 12, 31, 18, tzinfo=PARIS)
    world = _world(rows, draw, staff["coordinator"]["hashed_password"], created)
    coordinator, secretary = (
        Party(*(staff[role][key] for key in ("organisation_id", "id", "email")))
        for role in ("coordinator", "secretary")
    )
    referents = Referents(
        Cases(rows, calendar, now, coordinator, draw), world.referents, references
    )
    people = _People(rows.peek("persons"), max(1, referrals * 3 // 4), Random(seed + 1))
    written = 0
    async with connection.transaction():
        submissions = _submissions(calendar, referrals, first_year, years, draw)
        for chunk in range(0, referrals, CHUNK):
            for submitted in submissions[chunk : chunk + CHUNK]:
                _one_referral(referents, world, people, submitted)
            people.write(rows)
            written += await rows.copy(connection, TABLES)
        people.write(rows, created)
        committees(referents, secretary, range(first_year, first_year + years), created)
        written += await rows.copy(connection, TABLES)
        await connection.executemany(
            "INSERT INTO reference_sequences (prefix, year, last_value) VALUES ($1, $2, $3) "
            "ON CONFLICT (prefix, year) DO UPDATE SET last_value = "
            "greatest(reference_sequences.last_value, excluded.last_value)",
            [
                (key.split(":")[0], int(key.split(":")[1]), value)
                for key, value in references.items()
            ],
        )
    # As autovacuum would, soon after: the visibility map lets the indicators' covering
    # indexes answer without reading the tables (index-only scans).
    await connection.execute("VACUUM ANALYZE")
    return Generated(referrals, written, time.perf_counter() - started)


class _People:
    """The persons referred: drawn when first referred, written before their referrals."""

    def __init__(self, first_id: int, count: int, draw: Random) -> None:
        self.first_id, self.count, self.draw = first_id, count, draw
        self.seen: dict[int, datetime] = {}
        self.new: list[int] = []
        self.followed: set[int] = set()

    def pick(self, moment: datetime, draw: Random) -> int:
        """A person among ``count`` (some are referred more than once)."""
        person_id = self.first_id + draw.randrange(self.count)
        if person_id not in self.seen:
            self.seen[person_id] = moment
            self.new.append(person_id)
        return person_id

    def write(self, rows: Rows, created: datetime | None = None) -> None:
        """Rows of the persons first referred since the last call (of all the others too,
        created at ``created``, when it is given)."""
        if created is not None:
            for person_id in range(self.first_id, self.first_id + self.count):
                if person_id not in self.seen:
                    self.seen[person_id] = created
                    self.new.append(person_id)
        for person_id in self.new:
            rows.put("persons", person_row(person_id, self.seen[person_id], self.draw))
        self.new = []


def _one_referral(referents: Referents, world: World, people: _People, submitted: datetime) -> None:
    """One referral's rows, and the accompaniment it starts for a person not yet followed."""
    cases = referents.cases
    draw = cases.random
    sender = draw.choices(world.senders, world.sender_weights)[0]
    offer = draw.choice(world.offers)
    while offer.receiver == sender:
        offer = draw.choice(world.offers)
    person_id = people.pick(submitted, draw)
    barriers = sorted(draw.sample(BARRIERS, draw.randrange(0, 3)))
    case_id = cases.rows.peek("referrals")
    reference = referents.reference("OR", submitted.astimezone(PARIS))
    cases.rows.put(
        "referrals",
        cases.referral(case_id, reference, offer, sender, person_id, submitted, barriers),
    )
    if cases.last_started is not None and person_id not in people.followed:
        people.followed.add(person_id)
        referents.begin(
            person_id, offer.receiver, offer.territory, "referral", case_id, cases.last_started
        )


def main() -> None:
    """``python -m benchmarks.paris_years DSN [--scale S] [--seed N]``: write and time it."""
    parser = argparse.ArgumentParser(description="Écrire des années de Paris en masse.")
    parser.add_argument("dsn", help="postgresql://… d'une base migrée contenant la démo")
    parser.add_argument("--scale", type=float, default=1.0, help="1 : 180 000 orientations")
    parser.add_argument("--seed", type=int, default=SEED)
    arguments = parser.parse_args()

    async def run() -> Generated:
        connection = await asyncpg.connect(arguments.dsn.replace("+asyncpg", ""))
        try:
            count = int(REFERRALS * arguments.scale)
            return await generate(connection, referrals=count, seed=arguments.seed)
        finally:
            await connection.close()

    generated = asyncio.run(run())
    print(
        f"paris years ({generated.referrals} referrals, {generated.rows} rows): "
        f"{generated.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
