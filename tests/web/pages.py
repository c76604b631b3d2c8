"""Helpers of the page tests: a browser that signs in and posts forms with their CSRF token."""

from __future__ import annotations

import re
from html import unescape
from itertools import pairwise
from typing import Any

import httpx

from core.models import User
from tests.web.http_pages import sign_in

TAGS = re.compile(r"<[^>]+>")
SPACES = re.compile(r"\s+")


IDS = re.compile(r'\sid="([^"]+)"')
FIELDS = re.compile(r"<(input|select|textarea)\b([^>]*)>")
HEADINGS = re.compile(r"<h([1-6])\b")


def check_markup(html: str) -> None:
    """Unique ids, a label for every field, headings that skip no level, scoped headers."""
    ids = IDS.findall(html)
    assert len(ids) == len(set(ids)), sorted(item for item in ids if ids.count(item) > 1)
    for _tag, attributes in FIELDS.findall(html):
        if 'type="hidden"' in attributes:
            continue
        found = re.search(r'\sid="([^"]+)"', attributes)
        assert found and f'for="{found.group(1)}"' in html, attributes
    levels = [int(level) for level in HEADINGS.findall(html)]
    assert levels and levels[0] == 1, levels
    assert all(later <= earlier + 1 for earlier, later in pairwise(levels))
    scoped = html.count('<th scope="col"') + html.count('<th scope="row"')
    assert len(re.findall(r"<th[\s>]", html)) == scoped, "th without scope"


def visible_text(html: str) -> str:
    """What a person reads on the page: the text without tags, spaces folded."""
    return SPACES.sub(" ", unescape(TAGS.sub(" ", html))).strip()


class Browser:
    """An HTTP client that keeps its cookies, signed in as one user."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token = ""

    async def log_in(self, user: User) -> None:
        """Sign in through the login form, as a person would."""
        self.token = await sign_in(self.client, user.email)

    async def get(self, path: str) -> httpx.Response:
        """GET ``path`` as a browser asking for a page."""
        return await self.client.get(path, headers={"Accept": "text/html"})

    async def read(self, path: str) -> str:
        """The visible text of the page at ``path``, which must answer 200."""
        answer = await self.get(path)
        assert answer.status_code == 200, (path, answer.status_code, visible_text(answer.text))
        check_markup(answer.text)
        return visible_text(answer.text)

    async def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        """Submit a form to ``path`` with the page's CSRF token."""
        return await self.client.post(
            path, data={"csrf_token": self.token, **data}, headers={"Accept": "text/html"}
        )
