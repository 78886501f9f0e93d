"""Outbound e-mail (daily complaint warning report, monthly reports) through the SMTP settings.

Only the standard library: ``email`` builds 7-bit-clean MIME (Chinese subjects, display names
and attachment filenames are RFC 2047/2231-encoded, bodies base64), so any SMTP server accepts
it without SMTPUTF8 or 8BITMIME; ``smtplib`` delivers it synchronously, so call ``send_mail``
from a worker or an outbox subscriber, never inside a web request.

Bad input (recipients, subject, attachments) raises ``BadRequest`` before any connection is
made; everything that goes wrong with the server (mail disabled, unreachable, timed out,
refused) raises ``MailError`` naming ``host:port`` and the reason, so a caller can retry later.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from liuke.core.config import Settings
from liuke.core.errors import BadRequest

log = logging.getLogger(__name__)

# Characters that end a header line for ``email`` (str.splitlines) plus NUL: any of them in an
# address, subject or filename could smuggle extra headers in, so they are refused outright.
_LINE_BREAKS = frozenset("\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_ADDR_SPEC = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+")
_NAME_ADDR = re.compile(r"(?P<name>[^<>]*)<(?P<addr>[^<>]*)>\s*")
_MIME_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*", re.ASCII)


class MailError(Exception):
    """Mail could not be sent: disabled, server unreachable or timed out, or it refused."""


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message; validated on creation so a bad one fails early."""

    filename: str
    content: bytes
    mime_type: str

    def __post_init__(self) -> None:
        _reject_line_breaks("attachment filename", self.filename)
        if not self.filename.strip():
            raise BadRequest(detail="attachment filename must not be empty")
        if not _MIME_TYPE.fullmatch(self.mime_type) or self.mime_type.startswith("multipart/"):
            raise BadRequest(
                detail=f"attachment {self.filename!r}: {self.mime_type!r} is not a MIME type "
                "like 'application/pdf'"
            )


@dataclass(frozen=True)
class SendResult:
    """What the server accepted; ``refused`` maps refused recipients to the server's answer."""

    message_id: str
    recipients: tuple[str, ...]
    refused: dict[str, str] = field(default_factory=dict)


def build_message(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """A ready-to-send message: text (and html as its alternative), then the attachments.

    Addresses are ``user@host`` or ``Display name <user@host>``; invalid ones, and line breaks
    in any header value (header injection), raise ``BadRequest``.
    """
    message, _, _ = _compose(sender, to, subject, text, html, attachments)
    return message


def send_mail(
    settings: Settings,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> SendResult:
    """Send one message to ``to`` through the configured SMTP server.

    Recipients the server refuses are reported in ``SendResult.refused`` (the rest still get
    the message); if it refuses all of them, or anything else fails, ``MailError`` is raised.
    Bad addresses or a subject with line breaks raise ``BadRequest`` before connecting.
    """
    host = settings.smtp_host
    if not host:
        raise MailError("mail is not configured: set LIUKE_SMTP_HOST to an SMTP server")
    try:
        _parse_address(settings.smtp_from, "sender")
    except BadRequest as exc:
        raise MailError(f"LIUKE_SMTP_FROM {settings.smtp_from!r} is not a valid address") from exc
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    if settings.smtp_username and not (settings.smtp_username + password).isascii():
        # smtplib encodes AUTH as ASCII: fail here, clearly, instead of UnicodeEncodeError later.
        raise MailError("LIUKE_SMTP_USERNAME and LIUKE_SMTP_PASSWORD must be ASCII for SMTP AUTH")
    message, sender, recipients = _compose(settings.smtp_from, to, subject, text, html, attachments)
    envelope_to = list(dict.fromkeys(r.addr_spec for r in recipients))
    answers = _deliver(settings, host, message, sender.addr_spec, envelope_to)
    refused = {addr: _answer(code, reply) for addr, (code, reply) in answers.items()}
    accepted = tuple(addr for addr in envelope_to if addr not in refused)
    message_id = str(message["Message-ID"])
    if refused:
        log.warning("mail %s: %s:%s refused %s", message_id, host, settings.smtp_port, refused)
    log.info("mail %s sent to %d recipient(s)", message_id, len(accepted))
    return SendResult(message_id=message_id, recipients=accepted, refused=refused)


def _compose(
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None,
    attachments: Sequence[Attachment],
) -> tuple[EmailMessage, Address, list[Address]]:
    """Validate everything first, then build; returns the parsed addresses for the envelope."""
    from_addr = _parse_address(sender, "sender")
    if isinstance(to, str):
        raise BadRequest(detail="recipients must be a list of addresses, not one string")
    if not to:
        raise BadRequest(detail="at least one recipient is required")
    recipients = [_parse_address(value, "recipient") for value in to]
    _reject_line_breaks("subject", subject)

    message = EmailMessage()  # email.policy.default: RFC 2047/2231 encoding of non-ASCII
    message["Subject"] = subject
    message["From"] = from_addr
    message["To"] = recipients
    message["Date"] = formatdate(localtime=True)
    # An explicit domain: make_msgid() would otherwise look up this host's FQDN (may be slow).
    message["Message-ID"] = make_msgid(domain=from_addr.domain)
    message.set_content(text, cte=_body_cte(text))
    if html is not None:
        message.add_alternative(html, subtype="html", cte=_body_cte(html))
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message, from_addr, recipients


def _deliver(
    settings: Settings, host: str, message: EmailMessage, sender: str, recipients: list[str]
) -> dict[str, tuple[int, bytes]]:
    """One SMTP session; every failure becomes ``MailError`` saying where and at which step."""
    where = f"{host}:{settings.smtp_port}"
    step = "connect"
    smtp: smtplib.SMTP | None = None
    try:
        if settings.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(
                host,
                settings.smtp_port,
                timeout=settings.smtp_timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(host, settings.smtp_port, timeout=settings.smtp_timeout_s)
        if settings.smtp_security == "starttls":
            step = "starttls"
            # Verifies the certificate against ``host``; fails if the server lacks STARTTLS
            # rather than silently sending the password and message in clear.
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            step = "login"
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        step = "send"
        refused = smtp.send_message(message, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        _quit(smtp)
        reasons = "; ".join(f"{a}: {_answer(c, r)}" for a, (c, r) in exc.recipients.items())
        raise MailError(f"{where} refused every recipient ({reasons})") from exc
    except smtplib.SMTPResponseException as exc:
        _quit(smtp)
        raise MailError(
            f"sending mail via {where} failed at {step}: server answered "
            f"{_answer(exc.smtp_code, exc.smtp_error)}"
        ) from exc
    except OSError as exc:  # also every other smtplib.SMTPException, ssl.SSLError, timeouts
        if smtp is not None:
            smtp.close()  # no QUIT: the connection is broken or stalled (avoid a second timeout)
        reason = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, TimeoutError) or "timed out" in str(exc):
            reason += f" (no answer within {settings.smtp_timeout_s:g} s)"
        raise MailError(f"sending mail via {where} failed at {step}: {reason}") from exc
    _quit(smtp)  # the message is accepted: a failing QUIT must not report it as unsent
    return refused


def _quit(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except OSError:
        smtp.close()


def _parse_address(value: str, role: str) -> Address:
    _reject_line_breaks(role, value)
    name, addr = "", value.strip()
    if match := _NAME_ADDR.fullmatch(addr):
        name, addr = match["name"].strip().strip('"').strip(), match["addr"].strip()
    if "@" not in addr:
        raise BadRequest(detail=f"{role} {value!r} is not an e-mail address (no '@')")
    if not addr.isascii():
        raise BadRequest(
            detail=f"{role} {value!r}: non-ASCII addresses need SMTPUTF8, which is not used"
        )
    if not _ADDR_SPEC.fullmatch(addr):
        raise BadRequest(detail=f"{role} {value!r} is not a valid e-mail address")
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise BadRequest(detail=f"{role} {value!r} is not a valid e-mail address") from exc


def _reject_line_breaks(what: str, value: str) -> None:
    if any(char in _LINE_BREAKS for char in value):
        raise BadRequest(detail=f"{what} {value!r} must not contain line breaks")


def _body_cte(body: str) -> str | None:
    # The default policy would send non-ASCII text as raw 8bit, which needs 8BITMIME.
    return None if body.isascii() else "base64"


def _answer(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {text}".strip()
