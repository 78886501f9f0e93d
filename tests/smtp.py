"""A real SMTP server on loopback for the mail tests (aiosmtpd), shared by every test module."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from liuke.core.config import Settings


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Handler:
    """Stores every envelope; refuses the recipients in ``refuse`` like a real server."""

    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    handler: Handler
    port: int

    def settings(self, **overrides: Any) -> Settings:
        return Settings(smtp_host="127.0.0.1", smtp_port=self.port, smtp_timeout_s=5, **overrides)


def running(handler: Handler | None = None, **smtp_kwargs: Any) -> Iterator[Server]:
    """Serve until the generator is closed (use with ``yield from`` in a fixture)."""
    handler = handler or Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_kwargs)
    controller.start()
    try:
        yield Server(handler, port)
    finally:
        controller.stop()
