"""Files the pages hand out: a calendar event, a spreadsheet, a printable page of minutes.

Like the pages, they are never cached and never sniffed as another type; the printable
page, a self-contained document with its own inline styles, may run nothing and load nothing.
"""

from __future__ import annotations

from fastapi import Response

FILE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PRINTABLE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "form-action 'none'; base-uri 'none'"
)


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    """``content`` to save as ``filename`` (an ASCII name)."""
    return Response(
        content,
        media_type=media_type,
        headers={**FILE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def printable_page(html: str) -> Response:
    """A self-contained HTML document to read and print, shown in the browser."""
    return Response(
        html.encode("utf-8"),
        media_type="text/html; charset=utf-8",
        headers={**FILE_HEADERS, "Content-Security-Policy": PRINTABLE_POLICY},
    )
