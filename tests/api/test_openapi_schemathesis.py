"""schemathesis against the OpenAPI schema: acceptance point 5 of issue 2.

Every operation of the schema gets a bounded, derandomized run of generated requests
(examples, coverage cases and ``MAX_EXAMPLES`` fuzzed ones, positive and negative), sent as
a real user to the application on the test database, seeded so that ids in paths and bodies
sometimes name real objects. Each answer must not be a 5xx, must have a status and a content
type the operation documents, and must match the documented schema ("never 500 on any
input", DESIGN.md's frozen interface).

The application under test runs in schemathesis' own event loop thread, so it gets an
engine of its own without a connection pool: no connection ever crosses event loops.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.core.transport import CallOutcome
from schemathesis.generation import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.errors import REFUSALS
from core.clock import FixedClock
from core.db import MAX_ID
from core.enums import DecisionKind, OutboxStatus, PlanAxis, Role
from core.models import OutboxMessage, User
from core.settings import Settings
from relais.app import create_app
from services import cases, referral_service
from services.decision_service import propose_decision
from services.handover_service import HandoverCreate, propose_handover
from services.passwords import new_reset_link
from states.actor import Actor
from states.decision import DECISION, ScheduleFields
from states.referral import REFERRAL
from tests.factories import (
    PASSWORD,
    PASSWORDS,
    SECRET,
    World,
    accompany_new_person,
    actor_of,
    auth_headers,
    handover_json,
    make_committee,
    make_meeting,
    make_offer,
    make_user,
    make_world,
    referral_create,
    referral_json,
)

MAX_EXAMPLES = 30
"""Fuzzed requests per operation, on top of the schema's examples and coverage cases."""

MOSTLY_REJECTED = 0.5
"""The share of schema-valid requests refused on their data (a 4xx other than 401, 403, 404,
409 and 429, as schemathesis classifies them) from which an operation's schema is said not to
state what the API accepts: issue 17, point 9. Well-formed requests that name no real object
(404) or meet a state that forbids them (409) are not held against the schema, nor those
refused by a rule the operation documents beyond its schema (``x-refusals``: a name that must
exist, delays that must follow one another)."""
MIN_POSITIVE_CASES = 10
"""Fewer schema-valid requests than this and the share says nothing (schemathesis' own
minimum for its acceptance rate)."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    # Schema-invalid requests are refused with a 4xx.
    negative_data_rejection,
    # Schema-valid requests are not refused as malformed; see CONFIG for the 422 it allows.
    positive_data_acceptance,
    # An operation that declares the bearer scheme answers 401 without a token.
    ignored_auth,
    missing_required_header,
    # Undocumented methods answer 405 with an ``Allow`` header naming the documented ones.
    unsupported_method,
    allow_header_conformance,
]
"""The built-in checks of one request and its response.

Left out, as they need schemathesis' stateful runner (links between operations), which this
test does not use: ``use_after_free``, ``ensure_resource_availability`` and
``object_level_authorization``. Organisation-scoped visibility is asserted by the
authorization matrix test instead.
"""

CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                # schemathesis' refusals, and 413: a body over RELAIS_MAX_BODY_BYTES.
                "expected-statuses": [
                    *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422"),
                    *("428", "429", "5xx"),
                ],
            },
            "positive_data_acceptance": {
                # The frozen interface answers 422 to requests that are well formed but name
                # what does not exist or break a rule no JSON schema can state (an unknown
                # offer or organisation, no consent attestation, a birth date in the future,
                # deadlines out of order, an email address email-validator refuses): issue 2,
                # acceptance point 6. A login may be throttled (429, documented). Any other
                # refusal of a schema-valid request still fails.
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"],
            },
        },
    }
)

# Who calls each operation. Those whose success needs a platform admin run as one, so that
# creation is exercised, not only refused. Referral triggers run as a coordinator, who may
# fire every human trigger (so each trigger's fields reach its effect), and so does the
# supervision of coordinators. Everything else runs as a member of the organisation that
# receives the seeded referrals.
ADMIN_OPERATIONS = frozenset(
    {
        ("POST", "/api/organisations"),
        ("POST", "/api/users"),
        ("POST", "/api/offers"),
        ("PATCH", "/api/offers/{offer_id}"),
    }
)
COORDINATOR_PATHS = ("/api/referrals/{referral_id}/", "/api/overdue", "/api/outbox")
# The person's rights (export, rectification, erasure) are the DPO's.
DPO_PATHS = ("/api/access-log", "/api/persons")
# Committees, meetings and the secretariat's triggers on decisions run as a secretary.
SECRETARY_PATHS = ("/api/committees", "/api/meetings", "/api/decisions/{decision_id}/")

# The application is built once for its schema only: no database is touched.
_schema_app = create_app(
    Settings(environment="test", secret_key=SECRET, database_url="sqlite+aiosqlite://")
)
FUZZED_PATHS = os.environ.get("RELAIS_FUZZ_PATHS", "")
"""A regular expression of the paths to fuzz; every operation when empty (the default)."""
UNFUZZED_PATHS = os.environ.get("RELAIS_FUZZ_SKIP_PATHS", "")
"""A regular expression of the paths not to fuzz; none when empty (the default). CI fuzzes
each operation once: those of a person's cases in its PostgreSQL pass, the others in its
SQLite pass."""
_whole_api = schemathesis.openapi.from_dict(_schema_app.openapi(), config=CONFIG)
schema = _whole_api.include(path_regex=FUZZED_PATHS) if FUZZED_PATHS else _whole_api
if UNFUZZED_PATHS:
    schema = schema.exclude(path_regex=UNFUZZED_PATHS)


@dataclass
class Seed:
    """What the database holds before an operation is fuzzed, and who calls it."""

    ids: dict[str, list[int]]
    """Real ids by the name of the parameter or field that takes them."""
    headers: dict[str, dict[str, str]]
    """Bearer headers by identity: ``admin``, ``coordinator``, ``receiver``, ``secretary``,
    ``dpo``."""
    login: dict[str, str]
    """The login form of a real account."""
    passwords: dict[str, str] = field(default_factory=dict)
    """The current password of each identity that may change its own."""
    reset_tokens: list[str] = field(default_factory=list)
    """Live "mot de passe oublié" tokens, each of its own account (one use ends the
    account's other links)."""


_PATH_IDS = (
    "referral_id",
    "offer_id",
    "organisation_id",
    "message_id",
    "handover_id",
    "person_id",
    "committee_id",
    "meeting_id",
    "decision_id",
)
_BODY_IDS = (
    "offer_id",
    "organisation_id",
    "person_id",
    "to_organisation_id",
    "owner_organisation_id",
    "committee_id",
    "meeting_id",
)

_current: Seed | None = None
"""The seed of the operation being fuzzed, for the hooks below (they run while drawing)."""


def _with_real_id(values: Any, names: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """``values`` as drawn or, three times in four, with one of its ids replaced by a real
    one: a case's action needs its case, a reassignment another offer.

    Only a valid id is replaced (by another valid one), so a negative case stays negative.
    """
    if _current is None or not isinstance(values, dict):
        return st.just(values)
    real = [
        {**values, name: real_id}
        for name in names
        if isinstance(values.get(name), int)
        and not isinstance(values.get(name), bool)
        and 1 <= values[name] <= MAX_ID
        for real_id in _current.ids.get(name, [])
    ]
    if not real:
        return st.just(values)
    return st.one_of(st.just(values), *[st.sampled_from(real)] * 3)


@schema.hook
def flatmap_path_parameters(
    _context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[Any]:
    """Point the path at a seeded object three times in four."""
    return _with_real_id(path_parameters, _PATH_IDS)


@schema.hook
def flatmap_body(_context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    """Name a seeded object in bodies three times in four."""
    return _with_real_id(body, _BODY_IDS)


@pytest.fixture
def fuzz_app(settings: Settings, clock: FixedClock, db_engine: AsyncEngine) -> Iterator[FastAPI]:
    """The application on the test database, with a pooled engine of its own.

    schemathesis runs every application in one event loop thread of its own: the engine's
    connections are opened there, and the application's lifespan disposes of them there when
    ``shutdown_lifespans`` ends it. A pool saves opening a connection per request (half of
    each request's time on SQLite).
    """
    yield create_app(settings, clock=clock, password_helper=PASSWORDS)
    shutdown_lifespans()


RESET_LINKS = 40
"""Accounts given a live reset link when ``POST /auth/reset-password`` is fuzzed."""


@pytest.fixture
async def seed(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Seed]:
    """The usual cast, a second offer and referrals in every state a human acts on."""
    now = clock.now()
    # A session of its own, closed before the requests: no transaction (nor, on SQLite, the
    # write lock) stays open while the application works.
    async with sessionmaker() as session:
        world = await make_world(session, now)
        other_offer = await make_offer(session, world.outsider, now, title="Atelier numérique")
        referral_ids = await _seed_referrals(session, world, now)
        secretary_user, governance_ids = await _seed_handovers_and_governance(session, world, now)
        message_ids = await _one_dead_message(session)
        await session.commit()
        ids = {
            "referral_id": referral_ids,
            "message_id": message_ids,
            # The other offer first: the seeded referrals are all to the first.
            "offer_id": [other_offer.id, world.offer.id],
            # The outsider first: it sits on no committee, so it may join the seeded one.
            "organisation_id": [world.outsider.id, world.receiver.id, world.sender.id],
            "to_organisation_id": [world.sender.id, world.outsider.id],
            "owner_organisation_id": [world.receiver.id],
            **governance_ids,
        }
        users = {
            "admin": world.admin,
            "coordinator": world.coordinator,
            "receiver": world.receiver_member,
            "secretary": secretary_user,
            "dpo": await make_user(session, world.coordination, now, role=Role.DPO),
        }
        login = {"username": world.referrer.email, "password": PASSWORD}
        reset_tokens = []
        if "/auth/reset-password" in request.node.name:
            reset_tokens = await _live_reset_links(session, world, now)
    headers = {name: await auth_headers(user) for name, user in users.items()}
    yield Seed(ids, headers, login, {"receiver": PASSWORD}, reset_tokens)


async def _live_reset_links(session: AsyncSession, world: World, now: datetime) -> list[str]:
    """A live reset link for each of ``RESET_LINKS`` new accounts: their tokens."""
    tokens = []
    for _ in range(RESET_LINKS):
        user = await make_user(session, world.sender, now)
        token, link = new_reset_link(user.id, now)
        session.add(link)
        tokens.append(token)
    await session.commit()
    return tokens


async def _seed_referrals(session: AsyncSession, world: World, now: datetime) -> list[int]:
    """Six referrals: a draft, then submitted, accepted, started, returned and expired ones."""
    referrer, receiver = actor_of(world.referrer), actor_of(world.receiver_member)

    async def referral(*steps: tuple[Actor, str, dict[str, Any]], submit: bool = True) -> int:
        view = await referral_service.create_referral(
            session, referrer, referral_create(world.offer, submit=submit), now
        )
        for actor, trigger, fields in steps:
            payload = REFERRAL.transition(trigger).payload.model_validate(fields)
            await referral_service.fire_referral(
                session, actor, int(view.case.id), trigger, payload, now
            )
        return int(view.case.id)

    return [
        await referral(submit=False),
        await referral(),
        await referral((receiver, "accept", {})),
        await referral((receiver, "accept", {}), (receiver, "start", {})),
        await referral((receiver, "return", {"reason": "no_capacity", "comment": "Complet"})),
        await referral((Actor.system(), "expire", {})),
    ]


async def _seed_handovers_and_governance(
    session: AsyncSession, world: World, now: datetime
) -> tuple[User, dict[str, list[int]]]:
    """The secretary, and the ids of the handover and governance objects, by parameter name.

    A person the receiving organisation accompanies, another handed over to it, and a
    committee with a coming meeting, a held one whose minutes are published, and two decisions
    on it (one proposed, one scheduled), so that handover and governance operations meet real
    objects.
    """
    referrer, receiver = actor_of(world.referrer), actor_of(world.receiver_member)
    own_person = await accompany_new_person(session, world.receiver_member, now)
    handed_person = await accompany_new_person(session, world.referrer, now)
    handover = await propose_handover(
        session, referrer, HandoverCreate(**handover_json(handed_person, world.receiver)), now
    )
    secretary_user = await make_user(session, world.coordination, now, role=Role.SECRETARY)
    committee = await make_committee(
        session, now, members=(world.receiver, world.sender), name="Comité technique"
    )
    meeting = await make_meeting(session, committee, now + timedelta(days=10))
    # A past meeting whose minutes are published: the one rectificatifs apply to.
    held = await make_meeting(session, committee, now - timedelta(days=10), minutes="Tenue.")
    held.minutes_published_at = now - timedelta(days=9)
    decisions = []
    for title in ("Ateliers numériques", "Permanences communes"):
        proposal = await propose_decision(
            session, receiver, committee_id=committee.id, title=title,
            description="Proposition", kind=DecisionKind.OTHER, axis=PlanAxis.A3_3, now=now,
        )  # fmt: skip
        decisions.append(int(proposal.case.id))
    await cases.fire_case(
        session, DECISION, actor_of(secretary_user), decisions[1], "schedule",
        ScheduleFields(meeting_id=meeting.id), now,
    )  # fmt: skip
    return secretary_user, {
        "handover_id": [int(handover.case.id)],
        "person_id": [own_person, handed_person],
        "committee_id": [committee.id],
        "meeting_id": [meeting.id, held.id],
        "decision_id": decisions,
    }


async def _one_dead_message(session: AsyncSession) -> list[int]:
    """The emails the seeded cases called for; the first one failed for good. Its id and the
    last one's."""
    messages = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    messages[0].status = OutboxStatus.DEAD
    return [messages[0].id, messages[-1].id]


@dataclass
class Outcomes:
    """What the API did with the schema-valid requests of one operation."""

    label: str = ""
    counts: Counter[CallOutcome] = field(default_factory=Counter)

    documented: Counter[str] = field(default_factory=Counter)
    """Schema-valid requests refused by a rule the operation documents, by its code."""

    def add(self, case: schemathesis.Case[Any], response: schemathesis.Response) -> None:
        """Count the answer to ``case`` if it is schema-valid, as schemathesis classifies it,
        apart from the refusals its operation documents beyond its schema."""
        self.label = case.operation.label
        if not _is_positive(case):
            return
        code = _documented_refusal(case, response)
        if code is not None:
            self.documented[code] += 1
        else:
            self.counts[case.operation.schema.classify_call_outcome(case, response)] += 1

    def rejected_share(self) -> float | None:
        """The share of informative answers that refused the data; None below the minimum."""
        informative = self.counts.total() - self.counts[CallOutcome.UNINFORMATIVE]
        if informative < MIN_POSITIVE_CASES:
            return None
        return self.counts[CallOutcome.REJECTED] / informative

    def mismatch_warned(self) -> bool:
        """Whether schemathesis would warn of a "validation mismatch": no schema-valid request
        served, and a tenth or more of those refused refused on their data (documented rules
        included) rather than for naming nothing (404)."""
        refused = self.counts[CallOutcome.REJECTED] + self.documented.total()
        unreachable = self.counts[CallOutcome.UNREACHABLE]
        served = self.counts[CallOutcome.ACCEPTED]
        return served == 0 and refused > 0 and refused >= 0.1 * (refused + unreachable)


def _is_positive(case: schemathesis.Case[Any]) -> bool:
    return case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE


def _documented_refusal(
    case: schemathesis.Case[Any], response: schemathesis.Response
) -> str | None:
    """The code of a 422 answering a rule the operation lists in its ``x-refusals``."""
    if response.status_code != 422:
        return None
    documented = case.operation.definition.raw["responses"].get("422", {}).get(REFUSALS, [])
    code = response.json().get("code")
    return code if code in documented else None


@pytest.fixture
def outcomes() -> Iterator[Outcomes]:
    """The operation's schema-valid requests, checked once they are all sent: most of them
    refused on their data means the schema does not say what the API accepts (schemathesis'
    "validation mismatch" and "low valid rate" warnings; issue 17, point 9)."""
    tally = Outcomes()
    yield tally
    share = tally.rejected_share()
    assert share is None or share < MOSTLY_REJECTED, (
        f"{tally.label}: {share:.0%} of its schema-valid requests refused on their data "
        f"({ {outcome.value: count for outcome, count in tally.counts.items()} }; "
        f"documented refusals: {dict(tally.documented)})"
    )
    assert not tally.mismatch_warned(), (
        f"{tally.label}: no schema-valid request served "
        f"({ {outcome.value: count for outcome, count in tally.counts.items()} }; "
        f"documented refusals: {dict(tally.documented)})"
    )


@pytest.fixture
def current_seed(seed: Seed) -> Iterator[Seed]:
    """Make ``seed`` visible to the generation hooks for the duration of one operation."""
    global _current
    _current = seed
    yield seed
    _current = None


def _identity(case: schemathesis.Case[Any]) -> str:
    if case.path.startswith(DPO_PATHS):
        return "dpo"
    if (case.method.upper(), case.path) in ADMIN_OPERATIONS:
        return "admin"
    if case.path.startswith(COORDINATOR_PATHS):
        return "coordinator"
    if case.path.startswith(SECRETARY_PATHS):
        return "secretary"
    return "receiver"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The seeded database is shared by the examples of one operation on purpose: their
    # effects pile up (a referral accepted by one example is in conflict for the next).
    # ``too_slow`` measures time, which a loaded CI machine must not turn into a failure.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_openapi_schema(
    case: schemathesis.Case[Any],
    fuzz_app: FastAPI,
    current_seed: Seed,
    outcomes: Outcomes,
) -> None:
    if _is_positive(case):
        _with_live_secrets(case, current_seed)
    response = case.call_and_validate(
        app=fuzz_app, headers=current_seed.headers[_identity(case)], checks=CHECKS
    )
    outcomes.add(case, response)
    if response.status_code < 300 and case.path == "/api/users/me/password":
        assert isinstance(case.body, dict)
        current_seed.passwords["receiver"] = str(case.body["new_password"])


def _with_live_secrets(case: schemathesis.Case[Any], seed: Seed) -> None:
    """Give a schema-valid login a real account's credentials, a password change the
    caller's current password, and a reset the token of a live link, as a person would: no
    schema can state a secret (negative cases keep what was drawn)."""
    if not isinstance(case.body, dict):
        return
    if case.path == "/auth/jwt/login":
        case.body.update(seed.login)
    if case.path == "/api/users/me/password" and "current_password" in case.body:
        case.body["current_password"] = seed.passwords["receiver"]
    if case.path == "/auth/reset-password" and "token" in case.body and seed.reset_tokens:
        case.body["token"] = seed.reset_tokens.pop()


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "1899-12-31T23:59:59Z"]
)
async def test_an_instant_out_of_bounds_answers_422(
    client: httpx.AsyncClient, world: World, moment: str
) -> None:
    """Instants schemathesis does not draw: near ``datetime.min`` or ``max``, converting them
    to UTC overflowed (a 500); out of any plausible range they are refused as input."""
    referrer = await auth_headers(world.referrer)
    created = await client.post("/api/referrals", json=referral_json(world.offer), headers=referrer)
    answer = await client.post(
        f"/api/referrals/{created.json()['id']}/accept",
        json={"first_appointment_at": moment},
        headers=await auth_headers(world.receiver_member),
    )
    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == ["first_appointment_at"]
