"""The information notice the referrer gives the person, and the register entry
(docs/privacy.md), as HTML.

The notice's default text is a template (``_information_notice.html``) filled with the
settings (retention, whom to ask); an operator replaces it with a Markdown file
(``RELAIS_INFORMATION_NOTICE_FILE``). Markdown is rendered with raw HTML escaped, so neither
file can bring a script into a page.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

from core.settings import Settings
from web.rendering import environment

REGISTER_ENTRY = Path(__file__).resolve().parent.parent / "docs" / "privacy.md"
"""The processing's register entry, kept with the code it describes."""


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str) -> Markup:
    """``text`` (Markdown) as HTML; raw HTML in it is shown as text, never interpreted."""
    return Markup(_markdown().render(text))


def information_notice(settings: Settings) -> Markup:
    """The notice's text as HTML: the operator's file if set, the default one otherwise."""
    if settings.information_notice_file is not None:
        return markdown_html(settings.information_notice_file.read_text(encoding="utf-8"))
    return Markup(
        environment()
        .get_template("_information_notice.html")
        .render(
            retention_months=settings.retention_months,
            privacy_contact=settings.privacy_contact,
        )
    )


def register_entry() -> Markup:
    """docs/privacy.md, the register entry of the processing (article 30 GDPR), as HTML."""
    return markdown_html(REGISTER_ENTRY.read_text(encoding="utf-8"))
