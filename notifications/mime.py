"""The bytes of an email: a text part with an HTML alternative, both quoted-printable UTF-8.

Written directly rather than through ``email.mime`` and its generator: delivery builds one
message per recipient, and the generator's header folding and quoted-printable encoding in
Python cost ten times the rendering of the templates (a profile of ``ratio delivery``).
The result is the message the ``email`` package would write (same headers, same parts,
same encodings), checked against it by parsing both in ``tests/notifications/test_mime.py``.
"""

from __future__ import annotations

import binascii
import random
import sys
from email.charset import QP, Charset
from email.utils import formataddr, parseaddr
from functools import lru_cache

UTF8 = Charset("utf-8")
UTF8.body_encoding = QP  # French text stays readable in the raw message
UTF8.header_encoding = QP

_WORD_PAYLOAD = 45
"""Encoded characters per RFC 2047 word: with ``=?utf-8?q?...?=`` and ``Subject: ``, every
header line stays under the 76 characters RFC 2047 asks for."""
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


@lru_cache(maxsize=8)
def sender(mail_from: str) -> tuple[str, str]:
    """The ``From`` header of ``mail_from`` (its name encoded if needed) and its bare address:
    the same for every message of a run, so made once."""
    name, address = parseaddr(mail_from)
    return formataddr((name, address), charset=UTF8), address


def _q_encoded(character: str) -> str:
    """One character in RFC 2047 Q encoding: kept, ``_`` for a space, else ``=XX`` per byte."""
    data = character.encode()
    if len(data) == 1 and data[0] in _Q_SAFE:
        return character
    if character == " ":
        return "_"
    return "".join(f"={byte:02X}" for byte in data)


def encoded_header(value: str) -> str:
    """``value`` as RFC 2047 encoded words (quoted-printable UTF-8), folded between words.

    A character's bytes are never split between two words, as RFC 2047 requires.
    """
    words: list[str] = []
    current = ""
    for character in value:
        piece = _q_encoded(character)
        if len(current) + len(piece) > _WORD_PAYLOAD:
            words.append(current)
            current = ""
        current += piece
    words.append(current)
    return "\n ".join(f"=?utf-8?q?{word}?=" for word in words)


def _part(body: str, subtype: str) -> bytes:
    """A ``text/<subtype>`` part in quoted-printable UTF-8 (lines of at most 76 characters)."""
    encoded = binascii.b2a_qp(body.encode(), istext=True)
    return (
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/" + subtype.encode() + b'; charset="utf-8"\n'
        b"Content-Transfer-Encoding: quoted-printable\n\n" + encoded
    )


def alternative(headers: list[tuple[str, str]], text: str, html: str) -> bytes:
    """A ``multipart/alternative`` message: ``headers`` (already encoded), then the text
    part and its HTML alternative.

    The boundary starts with ``=``, which quoted-printable bodies always encode: it can
    never occur inside a part.
    """
    boundary = f"==============={random.randrange(sys.maxsize):019d}=="
    head = "".join(f"{name}: {value}\n" for name, value in headers)
    delimiter = f"\n--{boundary}\n".encode()
    return b"".join(
        (
            f'Content-Type: multipart/alternative;\n boundary="{boundary}"\n'
            f"MIME-Version: 1.0\n{head}".encode(),
            delimiter,
            _part(text, "plain"),
            delimiter,
            _part(html, "html"),
            f"\n--{boundary}--\n".encode(),
        )
    )
