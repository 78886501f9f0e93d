"""Outbound mail against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from liuke.core.config import Settings
from liuke.core.errors import BadRequest
from liuke.core.mail import Attachment, MailError, SendResult, build_message, send_mail
from tests.smtp import Handler, Server, free_port, running

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_BYTES = b"PK\x03\x04" + bytes(range(256)) * 8  # zip magic + every byte value


def _start(handler: Handler, **smtp_kwargs: Any) -> Iterator[Server]:
    yield from running(handler, **smtp_kwargs)


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _start(Handler())


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"reporter",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_server() -> Iterator[Server]:
    yield from _start(Handler(), authenticator=_authenticate, auth_require_tls=False)


def test_chinese_subject_bodies_and_attachment_arrive(server: Server) -> None:
    result = send_mail(
        server.settings(smtp_from="留客 <reports@liuke.example>"),
        ["经理 <boss@acme.example>"],
        "投诉预警日报 2024-05-01：3 条高风险",
        "今日高风险投诉 3 条，详见附件。",
        html="<p>今日<b>高风险</b>投诉 3 条</p>",
        attachments=[Attachment("投诉预警日报.xlsx", XLSX_BYTES, XLSX)],
    )

    assert isinstance(result, SendResult)
    assert result.recipients == ("boss@acme.example",)
    assert result.refused == {}
    [received] = server.handler.received
    assert received.mail_from == "reports@liuke.example"
    assert received.rcpt_tos == ["boss@acme.example"]
    assert received.content.isascii()  # 7-bit clean: no SMTPUTF8/8BITMIME needed
    message = received.parsed()
    assert message["Subject"] == "投诉预警日报 2024-05-01：3 条高风险"
    assert message["From"].addresses[0].display_name == "留客"
    assert message["To"].addresses[0].display_name == "经理"
    assert message["Message-ID"] == result.message_id
    assert result.message_id.endswith("@liuke.example>")
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content() == "今日高风险投诉 3 条，详见附件。\n"
    assert html.get_content() == "<p>今日<b>高风险</b>投诉 3 条</p>\n"
    [attachment] = list(message.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    assert attachment.get_filename() == "投诉预警日报.xlsx"
    assert attachment.get_content_type() == XLSX
    assert attachment.get_content() == XLSX_BYTES


def test_text_only_message_is_single_part() -> None:
    message = build_message(
        sender="liuke@localhost", to=["a@example.com"], subject="hi", text="plain"
    )
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "plain\n"


def test_several_recipients_one_envelope(server: Server) -> None:
    to = ["a@example.com", "B <b@example.com>", "c@example.com", "a@example.com"]
    result = send_mail(server.settings(), to, "月报", "正文")

    assert result.recipients == ("a@example.com", "b@example.com", "c@example.com")
    [received] = server.handler.received
    assert received.rcpt_tos == ["a@example.com", "b@example.com", "c@example.com"]
    header = received.parsed()["To"]
    assert [a.addr_spec for a in header.addresses] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "a@example.com",
    ]


def test_refused_recipient_is_reported(server: Server) -> None:
    server.handler.refuse = {"ghost@example.com"}
    result = send_mail(server.settings(), ["ok@example.com", "ghost@example.com"], "s", "t")

    assert result.recipients == ("ok@example.com",)
    assert result.refused == {"ghost@example.com": "550 no such user"}
    [received] = server.handler.received
    assert received.rcpt_tos == ["ok@example.com"]


def test_all_recipients_refused_is_an_error(server: Server) -> None:
    server.handler.refuse = {"x@example.com", "y@example.com"}
    with pytest.raises(MailError, match=r"refused every recipient.*x@example\.com: 550 no such"):
        send_mail(server.settings(), ["x@example.com", "y@example.com"], "s", "t")
    assert server.handler.received == []


def test_login_with_secret_password(auth_server: Server) -> None:
    settings = auth_server.settings(smtp_username="reporter", smtp_password="s3cret")
    assert "s3cret" not in repr(settings)

    send_mail(settings, ["a@example.com"], "s", "t")

    assert len(auth_server.handler.received) == 1


def test_non_ascii_credentials_rejected_before_connecting() -> None:
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=free_port(), smtp_username="u", smtp_password="密码"
    )
    with pytest.raises(MailError, match="must be ASCII"):
        send_mail(settings, ["a@example.com"], "s", "t")


def test_wrong_password_names_server_and_step(auth_server: Server) -> None:
    settings = auth_server.settings(smtp_username="reporter", smtp_password="wrong")
    with pytest.raises(MailError, match=rf"127\.0\.0\.1:{auth_server.port} failed at login: .*535"):
        send_mail(settings, ["a@example.com"], "s", "t")


def test_starttls_required_but_not_offered_fails(server: Server) -> None:
    with pytest.raises(MailError, match=r"failed at starttls: .*STARTTLS"):
        send_mail(server.settings(smtp_security="starttls"), ["a@example.com"], "s", "t")
    assert server.handler.received == []


def test_ssl_against_plain_server_fails_quickly(server: Server) -> None:
    with pytest.raises(MailError, match=r"failed at connect"):
        send_mail(server.settings(smtp_security="ssl"), ["a@example.com"], "s", "t")


def test_connection_refused_fails_fast() -> None:
    port = free_port()  # nothing listens there
    start = time.monotonic()
    with pytest.raises(MailError, match=rf"127\.0\.0\.1:{port} failed at connect: .*[Rr]efused"):
        send_mail(Settings(smtp_host="127.0.0.1", smtp_port=port), ["a@example.com"], "s", "t")
    assert time.monotonic() - start < 2


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:  # accepts the TCP connection, never says hello
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_s=0.3)
        start = time.monotonic()
        with pytest.raises(MailError, match=r"failed at connect: .*timed out.*0\.3 s"):
            send_mail(settings, ["a@example.com"], "s", "t")
        assert time.monotonic() - start < 2


@pytest.mark.parametrize("host", [None, ""])
def test_not_configured(host: str | None) -> None:
    with pytest.raises(MailError, match="mail is not configured: set LIUKE_SMTP_HOST"):
        send_mail(Settings(smtp_host=host), ["a@example.com"], "s", "t")


def test_invalid_sender_setting_is_a_mail_error() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_from="liuke")
    with pytest.raises(MailError, match="LIUKE_SMTP_FROM 'liuke' is not a valid address"):
        send_mail(settings, ["a@example.com"], "s", "t")


@pytest.mark.parametrize(
    ("to", "subject", "detail"),
    [
        ([], "s", "at least one recipient"),
        ("a@example.com", "s", "must be a list"),
        (["nobody"], "s", "no '@'"),
        (["Name <nobody>"], "s", "no '@'"),
        (["a@b@example.com"], "s", "not a valid e-mail address"),
        (["a b@example.com"], "s", "not a valid e-mail address"),
        (["a@example.com, b@example.com"], "s", "not a valid e-mail address"),
        (["用户@例子.中国"], "s", "non-ASCII"),
        (["a@example.com\r\nBcc: victim@example.com"], "s", "line breaks"),
        (["a@example.com\nBcc: victim@example.com"], "s", "line breaks"),
        (["Evil\r\nBcc: v@example.com <a@example.com>"], "s", "line breaks"),
        (["a@example.com"], "hello\r\nBcc: victim@example.com", "subject"),
        (["a@example.com"], "hello\nX-Injected: 1", "line breaks"),
        (["a@example.com"], "hello\u2028X-Injected: 1", "line breaks"),
    ],
)
def test_bad_input_rejected_before_connecting(to: Any, subject: str, detail: str) -> None:
    # Nothing listens on the port: reaching the network would raise MailError instead.
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port())
    with pytest.raises(BadRequest) as info:
        send_mail(settings, to, subject, "t")
    assert detail in info.value.params["detail"]


@pytest.mark.parametrize(
    ("filename", "mime_type", "detail"),
    [
        ("a\r\nX-Injected: 1.xlsx", XLSX, "line breaks"),
        ("  ", XLSX, "must not be empty"),
        ("a.xlsx", "xlsx", "not a MIME type"),
        ("a.xlsx", "multipart/mixed", "not a MIME type"),
    ],
)
def test_bad_attachment_rejected(filename: str, mime_type: str, detail: str) -> None:
    with pytest.raises(BadRequest) as info:
        Attachment(filename, b"x", mime_type)
    assert detail in info.value.params["detail"]


def test_settings_defaults() -> None:
    settings = Settings()
    assert settings.smtp_port == 25
    assert settings.smtp_from == "liuke@localhost"
    assert settings.smtp_security == "none"
    assert settings.smtp_timeout_s == 10
    assert settings.smtp_username is None and settings.smtp_password is None
