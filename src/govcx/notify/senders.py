"""Channels that carry a message out of govcx: SMTP e-mail, pluggable SMS, post, and the portal inbox."""

from __future__ import annotations

import contextlib
import json
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.errors import MessageError
from datetime import UTC, datetime
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from pathlib import Path
from typing import Protocol
from uuid import UUID

from govcx.core.bounded import one_line
from govcx.core.config import Settings
from govcx.notify.models import NotifyChannel


class DeliveryFailed(Exception):
    """The channel did not take the message; the outbox retries it later."""


class Undeliverable(Exception):
    """The message cannot be built for its channel (a bad address, say); retrying cannot help."""


def message_id_header(message_id: str, mail_from: str) -> str:
    """The Message-ID of the e-mail for outbox message `message_id`: the same on every attempt, so a
    receiving system can drop the duplicate of a retried message."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "govcx.invalid"
    return f"<{message_id}@{one_line(domain).replace(' ', '')}>"


def build_email(*, mail_from: str, to: str, name: str, subject: str, text: str, html: str, language: str,
                message_id: str, sent_at: datetime | None = None) -> EmailMessage:
    """Build the e-mail, dated `sent_at` (now when not given); header values never carry line breaks.
    Raise Undeliverable if it cannot be built."""
    return _built(mail_from=mail_from, to=to, name=name, subject=subject, text=text, html=html,
                  language=language, message_id=message_id, sent_at=sent_at or datetime.now(UTC)).mail


@dataclass(frozen=True)
class _Built:
    mail: EmailMessage
    sender: str
    recipients: list[str]
    wire: bytes  # the message as it goes over SMTP: CRLF line ends, written out once
    international: bool  # an address outside ASCII: sent with SMTPUTF8


def _built(*, mail_from: str, to: str, name: str, subject: str, text: str, html: str, language: str,
           message_id: str, sent_at: datetime) -> _Built:
    try:
        mail = EmailMessage()
        # RFC 5322 requires both: without them mail clients show no sender and no date, and spam
        # filters mark the message down.
        mail["From"] = one_line(mail_from)
        mail["Date"] = format_datetime(sent_at.astimezone(UTC))
        mail["To"] = formataddr((one_line(name), one_line(to)))
        mail["Subject"] = one_line(subject)
        mail["Message-ID"] = message_id_header(message_id, mail_from)
        mail.set_content(text)
        mail.add_alternative(html, subtype="html")
        mail["Content-Language"] = one_line(language)  # after the bodies: set_content drops Content-* headers
        # The envelope as smtplib's send_message takes it from the headers.
        sender = parseaddr(str(mail["From"]))[1]
        recipients = [address for _name, address in getaddresses([str(mail["To"])])]
        international = not all(a.isascii() for a in (sender, *recipients))
        # Written out here, once: a message that cannot be written fails now, not half-way through SMTP.
        wire = mail.as_bytes(policy=mail.policy.clone(linesep="\r\n", utf8=international))
    except (ValueError, TypeError, UnicodeError, MessageError) as exc:
        raise Undeliverable(f"the e-mail cannot be built: {type(exc).__name__}: {str(exc)[:200]}") from exc
    return _Built(mail=mail, sender=sender, recipients=recipients, wire=wire, international=international)


class EmailSender(Protocol):
    def send(self, *, to: str, name: str, subject: str, text: str, html: str, language: str,
             message_id: str, sent_at: datetime) -> str: ...


class TextSender(Protocol):
    """Anything that delivers a short text to a phone number (an SMS gateway, or a file in development)."""

    def send(self, *, to: str, text: str, message_id: str) -> str: ...


class SmtpSender:
    """E-mail over SMTP with the standard library, STARTTLS and login when configured.

    One connection carries every message until `close()` (the worker closes it after each claimed
    batch). A connection that drops is replaced: the message in flight is tried once more on a new
    one (the same Message-ID, so a copy the old connection delivered can be dropped by the receiver).
    When no connection can be made, every further message fails fast with that reason until `close()`.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._used = False  # whether the open connection has carried a message (a reused one may be stale)
        self._down = ""  # why no connection could be made, until close()
        self._lock = threading.Lock()

    def send(self, *, to: str, name: str, subject: str, text: str, html: str, language: str,
             message_id: str, sent_at: datetime) -> str:
        s = self._settings
        built = _built(mail_from=s.mail_from, to=to, name=name, subject=subject, text=text, html=html,
                       language=language, message_id=message_id, sent_at=sent_at)
        with self._lock:
            refused = self._send(built)
        if refused:
            raise DeliveryFailed(f"SMTP refused the recipient: {next(iter(refused.values()))}")
        return f"250 accepted by {s.smtp_host}:{s.smtp_port} as {built.mail['Message-ID']}"

    def close(self) -> None:
        """End the connection politely (QUIT) and forget a failed connect."""
        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    self._smtp.quit()
            self._drop()
            self._down = ""

    def _send(self, built: _Built) -> dict:
        options = ("SMTPUTF8", "BODY=8BITMIME") if built.international else ()
        while True:
            smtp, reused = self._connection(), self._used
            try:
                refused = smtp.sendmail(built.sender, built.recipients, built.wire, mail_options=options)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop()
                if not reused:
                    raise self._failed(exc) from exc
                continue  # a reused connection went stale or dropped: once more on a new one
            except smtplib.SMTPException as exc:  # the server's answer about this message
                if smtp.sock is None:  # smtplib closes on 421 (the server is going away)
                    self._drop()
                else:
                    self._used = True
                raise self._failed(exc) from exc
            self._used = True
            return refused

    def _connection(self) -> smtplib.SMTP:
        if self._down:
            raise DeliveryFailed(self._down)
        if self._smtp is not None:
            return self._smtp
        s = self._settings
        smtp = None
        try:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
            if s.smtp_starttls:
                # The server's certificate is verified, against a private CA when one is configured.
                smtp.starttls(context=ssl.create_default_context(
                    cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None))
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_username, password)
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                smtp.close()
            failed = self._failed(exc)
            self._down = str(failed)
            raise failed from exc
        self._smtp, self._used = smtp, False
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp, self._used = None, False

    def _failed(self, exc: BaseException) -> DeliveryFailed:
        s = self._settings
        return DeliveryFailed(f"SMTP {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}: {exc}")


class FileSender:
    """Development sender: appends each text or letter to a JSON-lines file instead of a gateway."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, *, to: str, text: str, message_id: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"message_id": message_id, "to": to, "text": text}) + "\n")
        return f"written to {self.path.name}"


class FileEmailSender:
    """Development e-mail: each message becomes an .eml file under a folder instead of going to a server."""

    def __init__(self, folder: Path, mail_from: str = "govcx <no-reply@govcx.invalid>") -> None:
        self.folder = folder
        self.mail_from = mail_from

    def send(self, *, to: str, name: str, subject: str, text: str, html: str, language: str,
             message_id: str, sent_at: datetime) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        mail = build_email(mail_from=self.mail_from, to=to, name=name, subject=subject,
                           text=text, html=html, language=language, message_id=message_id, sent_at=sent_at)
        (self.folder / f"{message_id}.eml").write_bytes(bytes(mail))
        return f"written to {self.folder.name}/{message_id}.eml"


# The pluggable part: a deployment registers its gateway's sender under a name and sets GOVCX_SMS_SENDER.
SMS_SENDERS = {"file": lambda settings: FileSender(settings.data_dir / "sms-outbox.jsonl")}


@dataclass(frozen=True)
class Outgoing:
    """One claimed message and how to reach its person, as the worker read them for the hand-over."""

    id: UUID
    channel: NotifyChannel | None
    subject: str
    text_body: str
    html_body: str
    language: str
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    street_address: str | None
    postal_code: str | None
    locality: str | None


@dataclass
class Senders:
    email: EmailSender
    sms: TextSender
    post: TextSender

    @classmethod
    def from_settings(cls, settings: Settings) -> Senders:
        if settings.sms_sender not in SMS_SENDERS:
            raise ValueError(f"No SMS sender named {settings.sms_sender!r}; known: {', '.join(SMS_SENDERS)}.")
        email: EmailSender = (SmtpSender(settings) if settings.email_sender == "smtp"
                              else FileEmailSender(settings.data_dir / "mail", settings.mail_from))
        return cls(email=email, sms=SMS_SENDERS[settings.sms_sender](settings),
                   post=FileSender(settings.data_dir / "post-outbox.jsonl"))

    def deliver(self, message: Outgoing, *, at: datetime) -> str:
        """Hand the message to its channel at `at`; return the channel's answer or raise DeliveryFailed."""
        name = f"{message.given_name} {message.family_name}"
        match message.channel:
            case NotifyChannel.INBOX:
                return "in the portal inbox"
            case NotifyChannel.EMAIL if message.email:
                return self.email.send(to=message.email, name=name, subject=message.subject,
                                       text=message.text_body, html=message.html_body,
                                       language=message.language, message_id=str(message.id), sent_at=at)
            case NotifyChannel.SMS if message.phone:
                return self.sms.send(to=message.phone, text=f"{message.subject}: {message.text_body}",
                                     message_id=str(message.id))
            case NotifyChannel.POST if message.street_address:
                address = (f"{name}\n{message.street_address}\n"
                           f"{message.postal_code or ''} {message.locality or ''}")
                return self.post.send(to=address, text=message.text_body, message_id=str(message.id))
        raise DeliveryFailed(f"The person can no longer be reached by {message.channel}.")

    def close(self) -> None:
        """End any connection a channel keeps open between messages (the SMTP one)."""
        for sender in (self.email, self.sms, self.post):
            close = getattr(sender, "close", None)
            if close is not None:
                close()
