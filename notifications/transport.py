"""Where emails go: an SMTP relay (aiosmtplib), or a local Maildir when none is configured."""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

import aiosmtplib

from core.settings import Settings


@dataclass(frozen=True)
class OutgoingEmail:
    """An email ready to hand over: its SMTP envelope (sender, recipient) and its MIME bytes."""

    sender: str
    recipient: str
    content: bytes


class TransportError(Exception):
    """A message could not be handed over.

    ``permanent`` when the server refused it for good; ``connection_lost`` when the channel
    itself is gone (timeout, disconnection), so the batch's other messages were not tried.
    """

    def __init__(
        self, message: str, *, permanent: bool = False, connection_lost: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection_lost = connection_lost


class MailTransport(Protocol):
    """An open channel to hand messages over, one batch at a time."""

    async def __aenter__(self) -> Self:
        """Connect."""
        ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Disconnect."""
        ...

    async def send(self, email: OutgoingEmail) -> None:
        """Hand ``email`` over; returns only once it was accepted, raises TransportError."""
        ...


class SmtpTransport:
    """One SMTP connection for a batch; a message counts as sent once the server said 250."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool | None = None,
    ) -> None:
        self._client = aiosmtplib.SMTP(
            hostname=host,
            port=port,
            timeout=timeout,
            username=username,
            password=password,
            start_tls=start_tls,
        )

    async def __aenter__(self) -> Self:
        try:
            await self._client.connect()
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            raise TransportError(f"connexion SMTP impossible : {error}") from error
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._client.is_connected:
            try:
                await self._client.quit()
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                self._client.close()

    async def send(self, email: OutgoingEmail) -> None:
        try:
            await self._client.sendmail(email.sender, [email.recipient], email.content)
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            raise TransportError(
                f"destinataire refusé : {error}", permanent=all(code >= 500 for code in codes)
            ) from error
        except aiosmtplib.SMTPResponseException as error:
            raise TransportError(
                f"refus SMTP {error.code} : {error.message}",
                permanent=error.code >= 500,
                connection_lost=error.code == 421 or not self._client.is_connected,
            ) from error
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            raise TransportError(f"échec SMTP : {error!r}", connection_lost=True) from error


class MaildirTransport:
    """Messages written to a local Maildir (``./var/mail``) that a person can open."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._box: mailbox.Maildir | None = None

    async def __aenter__(self) -> Self:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._box = mailbox.Maildir(self._path, create=True)
            for folder in ("tmp", "new", "cur"):
                (self._path / folder).mkdir(exist_ok=True)
        except OSError as error:
            raise TransportError(f"écriture impossible dans {self._path} : {error}") from error
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._box = None

    async def send(self, email: OutgoingEmail) -> None:
        assert self._box is not None, "use the transport as an async context manager"
        try:
            await asyncio.to_thread(self._box.add, email.content)
        except OSError as error:
            raise TransportError(f"écriture impossible dans {self._path} : {error}") from error


def transport_factory(settings: Settings) -> Callable[[], MailTransport]:
    """A fresh transport per batch: the SMTP relay if configured, else ``./var/mail``."""
    host = settings.smtp_host
    if not host:
        return lambda: MaildirTransport(settings.mail_dir)
    return lambda: SmtpTransport(
        host,
        settings.smtp_port,
        timeout=settings.smtp_timeout_seconds,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls or None,
    )
