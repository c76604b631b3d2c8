"""Meetings as iCalendar events (RFC 5545), for partners' calendars."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from core.models import Meeting

LINE_OCTETS = 75
"""RFC 5545, 3.1: content lines are folded so that none exceeds 75 octets (CRLF excluded)."""

# RFC 5545, 3.3.11: TEXT may hold any character but the controls (tab and newline aside,
# and the newline is escaped).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
PRODUCT = "-//relais//Comités du Plan parisien de l'insertion par l'emploi//FR"


def escape_text(value: str) -> str:
    """A TEXT value escaped: backslash, semicolon, comma and line breaks (RFC 5545, 3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROLS.sub("", value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def fold(line: str) -> list[str]:
    """``line`` split into physical lines of at most 75 octets, never inside a character.

    Continuation lines start with a space, which counts in their 75 octets (RFC 5545, 3.1).
    """
    lines: list[str] = []
    current, size = "", 0
    for character in line:
        octets = len(character.encode("utf-8"))
        if size + octets > LINE_OCTETS:
            lines.append(current)
            current, size = " ", 1
        current += character
        size += octets
    lines.append(current)
    return lines


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form, e.g. ``20260309T130000Z``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_uid(meeting: Meeting, base_url: str) -> str:
    """A stable, globally unique identifier of the meeting's event."""
    host = urlsplit(base_url).hostname or "relais"
    return f"meeting-{meeting.id}@{host}"


def meeting_calendar(meeting: Meeting, *, base_url: str, now: datetime) -> str:
    """A VCALENDAR holding the meeting's VEVENT, with CRLF line endings.

    ``meeting.committee`` must be loaded. The summary is the committee's name, the
    description the agenda.
    """
    ends_at = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    agenda = meeting.agenda.strip() or "Ordre du jour à venir."
    properties = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{meeting_uid(meeting, base_url)}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(meeting.starts_at)}",
        f"DTEND:{utc_stamp(ends_at)}",
        f"SUMMARY:{escape_text(meeting.committee.name)}",
        f"LOCATION:{escape_text(meeting.place)}",
        f"DESCRIPTION:{escape_text(agenda)}",
        f"URL:{base_url.rstrip('/')}/meetings/{meeting.id}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(f"{physical}\r\n" for line in properties for physical in fold(line))
