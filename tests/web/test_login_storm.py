"""A login storm on SQLite never turns into 500s for anyone (issue 12's acceptance load check).

Twenty concurrent wrong-password loops hit a relais served over real HTTP (uvicorn on a free
port, in the test's loop) for 20 seconds, while a signed-in user reads their inbox, page and
API, in a loop. Marked ``embedded``: it is a check of SQLite's single write lock, so it runs on
the SQLite pass of CI (the test database there) and is skipped on the PostgreSQL pass.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from tests.factories import World, auth_headers
from tests.web.http_pages import sign_in, submitted_referral

pytestmark = pytest.mark.embedded

STORM_SECONDS = 20.0
ATTACKERS = 20
REQUEST_TIMEOUT = httpx.Timeout(45.0)
"""Longer than SQLite's 30 s busy timeout: a request that waits on the lock still answers."""
WHOLE_TEST_SECONDS = STORM_SECONDS + 60
"""Whatever happens, the storm stops: it cannot hold CI."""


@dataclass
class Tally:
    """The statuses one side of the storm got, and the longest wait for an answer."""

    statuses: Counter[int] = field(default_factory=Counter)
    slowest: float = 0.0

    def add(self, status: int, started: float) -> None:
        """Count an answer that took since ``started``."""
        self.statuses[status] += 1
        self.slowest = max(self.slowest, time.monotonic() - started)


ATTACKER_ADDRESS = "198.51.100.7"
"""Where the storm comes from. The live server trusts its loopback proxy's ``X-Forwarded-For``
(uvicorn's default), so the attackers come from elsewhere than the reader, as they would: from
one shared address, the reader's own login would rightly wait out the address's lockout."""


async def _attack(base_url: str, target: str, deadline: float, tally: Tally) -> None:
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=REQUEST_TIMEOUT,
        headers={"X-Forwarded-For": ATTACKER_ADDRESS},
    ) as attacker:
        while time.monotonic() < deadline:
            started = time.monotonic()
            answer = await attacker.post(
                "/auth/jwt/login", data={"username": target, "password": "devine-devine-123"}
            )
            tally.add(answer.status_code, started)


async def _read_inbox(
    base_url: str, email: str, api_headers: dict[str, str], deadline: float, tally: Tally
) -> None:
    async with (
        httpx.AsyncClient(
            base_url=base_url, timeout=REQUEST_TIMEOUT, headers={"Accept": "text/html"}
        ) as browser,
        httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as api,
    ):
        await sign_in(browser, email)
        while time.monotonic() < deadline:
            started = time.monotonic()
            page = await browser.get("/inbox")
            tally.add(page.status_code, started)
            started = time.monotonic()
            listed = await api.get(
                "/api/referrals", params={"box": "received"}, headers=api_headers
            )
            tally.add(listed.status_code, started)
            await asyncio.sleep(0.05)


async def test_a_login_storm_never_fails_another_user(
    live_server: str, world: World, session: AsyncSession, clock: FixedClock
) -> None:
    await submitted_referral(session, world, clock)
    reader = world.receiver_member
    headers = await auth_headers(reader)
    # Some loops aim at real accounts, others at addresses that have none.
    targets = [world.referrer.email, world.admin.email, "inconnue@exemple-paris.fr"]
    attackers, readers = Tally(), Tally()
    deadline = time.monotonic() + STORM_SECONDS
    async with asyncio.timeout(WHOLE_TEST_SECONDS):
        await asyncio.gather(
            _read_inbox(live_server, reader.email, headers, deadline, readers),
            *(
                _attack(live_server, targets[number % len(targets)], deadline, attackers)
                for number in range(ATTACKERS)
            ),
        )
    print(f"attackers: {dict(attackers.statuses)}, slowest {attackers.slowest:.2f} s")
    print(f"reader: {dict(readers.statuses)}, slowest {readers.slowest:.2f} s")
    assert set(attackers.statuses) <= {400, 429}, attackers.statuses
    assert attackers.statuses[429] > attackers.statuses[400], "the attackers were not throttled"
    assert set(readers.statuses) == {200}, readers.statuses
    assert readers.statuses[200] >= 4, "the reader barely got through"
