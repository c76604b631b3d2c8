"""A meeting's agenda as an iCalendar event (RFC 5545) and its minutes as an HTML document.

The ``.ics`` is read back the way a calendar does: physical lines split on CRLF, none longer
than 75 octets, unfolded, then each property unescaped and compared with what was recorded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FixedClock
from core.enums import Role
from core.models import Committee, Meeting
from services.calendar import meeting_calendar
from tests.factories import World, auth_headers, make_committee, make_meeting, make_user

PLACE = "Hôtel de Ville, salle Lobau; 5, rue de Lobau"
AGENDA = (
    "1. Bilan de l'année, axes 2.1 et 3.3 ; points d'étape\n"
    "2. Chemin C:\\partage\\ppie\r\n"
    "3. Questions diverses : « parcours sans rupture » entre les Espaces parisiens "
    "d'insertion, la Mission locale et France Travail (éàèùç…)"
)


def unescape(value: str) -> str:
    """RFC 5545 TEXT unescaped."""
    return re.sub(r"\\([\\;,nN])", lambda match: "\n" if match[1] in "nN" else match[1], value)


def parse_calendar(payload: bytes) -> list[tuple[str, str]]:
    """The content lines of an iCalendar stream, unfolded, as (name, raw value) pairs."""
    assert payload.endswith(b"\r\n")
    physical = payload[:-2].split(b"\r\n")
    for line in physical:
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line
        line.decode("utf-8")  # folding never cuts a character in two
    logical: list[str] = []
    for text in (raw.decode("utf-8") for raw in physical):
        if text.startswith(" "):
            logical[-1] += text[1:]
        else:
            logical.append(text)
    return [tuple(line.split(":", 1)) for line in logical]  # type: ignore[misc]


async def test_agenda_ics(
    world: World, session: AsyncSession, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    committee = await make_committee(
        session, clock.now(), name="Comité technique, groupe « Jeunes »; Paris"
    )
    starts_at = datetime(2026, 3, 10, 14, 30, tzinfo=UTC) - timedelta(hours=1)
    meeting = await make_meeting(
        session, committee, starts_at, place=PLACE, agenda=AGENDA, duration_minutes=150
    )
    answer = await client.get(
        f"/api/meetings/{meeting.id}/agenda.ics", headers=await auth_headers(world.outsider_member)
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["content-disposition"].startswith("attachment;")

    lines = parse_calendar(answer.content)
    names = [name for name, _ in lines]
    assert names[:2] == ["BEGIN", "VERSION"]
    assert lines[0] == ("BEGIN", "VCALENDAR")
    assert lines[-1] == ("END", "VCALENDAR")
    assert ("VERSION", "2.0") in lines
    assert "PRODID" in names
    event = lines[names.index("BEGIN", 1) + 1 : names.index("END")]
    assert lines[names.index("BEGIN", 1)] == ("BEGIN", "VEVENT")
    properties = dict(event)
    assert len(properties) == len(event)  # no property twice
    assert properties["UID"] == f"meeting-{meeting.id}@127.0.0.1"
    assert properties["DTSTAMP"] == "20260302T080000Z"
    assert properties["DTSTART"] == "20260310T133000Z"
    assert properties["DTEND"] == "20260310T160000Z"
    assert unescape(properties["SUMMARY"]) == committee.name
    assert unescape(properties["LOCATION"]) == PLACE
    assert unescape(properties["DESCRIPTION"]) == AGENDA.replace("\r\n", "\n")
    # Special characters are escaped, not left raw, in the unfolded values.
    assert "\\," in properties["LOCATION"] and "\\;" in properties["LOCATION"]
    assert "\\\\partage" in properties["DESCRIPTION"]
    assert "\\n2. " in properties["DESCRIPTION"]
    # The long description really was folded.
    assert answer.content.count(b"\r\n ") >= 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "é" * 40,
        "x" * 74 + "é",
        "€" * 100,
        "a,b;c\\d\ne",
        "\x01\x7fok",
        "C:\\Nouveau dossier\r\\n\\N",
    ],
)
def test_text_values_are_escaped_and_folded(text: str) -> None:
    meeting = Meeting(
        id=1,
        starts_at=datetime(2026, 3, 10, 13, 30, tzinfo=UTC),
        duration_minutes=60,
        place=text,
        agenda=f"Ordre du jour ({text})",
    )
    meeting.committee = Committee(name=text)
    payload = meeting_calendar(
        meeting, base_url="https://relais.paris.example", now=datetime(2026, 3, 2, tzinfo=UTC)
    ).encode("utf-8")
    # Lines of at most 75 octets, never cut inside a character, continued with a space.
    lines = parse_calendar(payload)
    event = dict(lines[[name for name, _ in lines].index("UID") :])
    expected = text.replace("\r", "\n").replace("\x01", "").replace("\x7f", "")
    assert unescape(event["SUMMARY"]) == expected
    assert unescape(event["LOCATION"]) == expected
    assert unescape(event["DESCRIPTION"]) == f"Ordre du jour ({expected})"
    # And as a calendar application reads it.
    (parsed,) = Calendar.from_ical(payload).walk("VEVENT")
    assert str(parsed["SUMMARY"]) == expected
    assert str(parsed["LOCATION"]) == expected
    assert str(parsed["DESCRIPTION"]) == f"Ordre du jour ({expected})"


async def test_minutes_document(
    world: World, session: AsyncSession, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    committee = await make_committee(
        session, clock.now(), name="Comité technique", members=(world.sender, world.receiver)
    )
    meeting = await make_meeting(
        session,
        committee,
        clock.now() - timedelta(days=1),
        agenda="1. <script>alert('ordre')</script>",
        minutes="Présents : EPI, Mission locale.\nDécisions prises à l'unanimité.",
    )
    secretary = await make_user(session, world.coordination, clock.now(), role=Role.SECRETARY)
    answer = await client.get(
        f"/api/meetings/{meeting.id}/minutes.html", headers=await auth_headers(secretary)
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    html = answer.text
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in html
    assert "Compte rendu de réunion" in html
    assert "Comité technique" in html
    assert "dimanche 1er mars 2026 à 9 h" in html
    assert "Hôtel de Ville, salle des commissions" in html
    assert "EPI Paris Centre" in html and "Mission locale de Paris" in html
    assert "CAF de Paris" not in html
    assert "Décisions prises à l&#39;unanimité." in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Aucune proposition n'a été inscrite à cette réunion." in html
    # Self-contained: no external stylesheet, script or image.
    assert "<link" not in html and "src=" not in html
