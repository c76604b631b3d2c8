"""Meetings as iCalendar events (RFC 5545), for partners' calendars.

The `icalendar` library writes the stream: TEXT escaping, folding at 75 octets, CRLF line
endings and UTC date-times.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vText

from core.models import Meeting

# RFC 5545, 3.3.11: TEXT may hold any character but the controls (tab and newline aside,
# and the newline is escaped). icalendar would write them as they are.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
PRODUCT = "-//relais//Comités du Plan parisien de l'insertion par l'emploi//FR"


class _Text(vText):
    """A TEXT value whose backslashes are all literal.

    icalendar reads the two characters backslash and ``N`` of a Python string as a line break
    (its convention for ``\\N``); a place or an agenda means a backslash then an N (``C:\\Nouveau
    dossier``), so the value is escaped around them and they are written ``\\\\N``.
    """

    def to_ical(self) -> bytes:
        return b"\\\\N".join(vText(part).to_ical() for part in self.split("\\N"))


def _text(value: str) -> _Text:
    """``value`` as a TEXT property: every line break a newline, control characters removed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _Text(_CONTROLS.sub("", value))


def meeting_calendar(meeting: Meeting, *, base_url: str, now: datetime) -> str:
    """A VCALENDAR holding the meeting's VEVENT, with CRLF line endings.

    ``meeting.committee`` must be loaded. The summary is the committee's name, the
    description the agenda. Times are written in UTC (``20260309T130000Z``).
    """
    ends_at = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    agenda = meeting.agenda.strip() or "Ordre du jour à venir."
    # A stable, globally unique identifier of the meeting's event.
    uid = f"meeting-{meeting.id}@{urlsplit(base_url).hostname or 'relais'}"
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODUCT)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    event = Event()
    event.add("UID", uid)
    event.add("DTSTAMP", now.astimezone(UTC))
    event.add("DTSTART", meeting.starts_at.astimezone(UTC))
    event.add("DTEND", ends_at.astimezone(UTC))
    event.add("SUMMARY", _text(meeting.committee.name))
    event.add("LOCATION", _text(meeting.place))
    event.add("DESCRIPTION", _text(agenda))
    event.add("URL", f"{base_url.rstrip('/')}/meetings/{meeting.id}")
    event.add("STATUS", "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    calendar.add_component(event)
    # In the order written above, as before (icalendar sorts the properties otherwise).
    stream: bytes = calendar.to_ical(sorted=False)
    return stream.decode("utf-8")
