"""JDDC 2019 (JD.com Dialogue Challenge) chat logs: one tab-separated line per utterance.

Columns: session_id, user_id, waiter_send (1 = agent), is_transferred, is_repeated, sku, content.
Each session is a conversation (``external_id`` = session_id) whose customer is ``user_id``
(system ``jddc``); agent lines are posted by one import user. The export has **no timestamps**:
order is kept by ``seq`` (file order), times are the import time, and the conversation carries
``meta["timestamps"] = "absent"`` so response-time metrics can and must leave it out.
``is_transferred`` marks whole sessions; such a conversation gets one recorded transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from liuke.conversations.service import MAX_BODY_CHARS
from liuke.imports.base import (
    STRUCTURAL,
    AgentSpec,
    ChannelSpec,
    ParsedConversation,
    ParsedFile,
    ParsedMessage,
    Tally,
    check_structure,
    preview,
    read_text,
)

WIDTH = 7
AGENT_KEY = "jddc"
MAX_ID = 150  # room for "jddc:<session>:<n>" inside the 200-character idempotency key
NO_SKU = ("", "nan", "null", "none")
MAX_SKUS_IN_META = 20


@dataclass
class _Session:
    session_id: str
    user_id: str
    line: int
    transferred: bool = False
    skus: list[str] = field(default_factory=list)
    messages: list[ParsedMessage] = field(default_factory=list)
    lines_seen: int = 0  # every parsed line of the session, kept or skipped: stable keys


class JddcImporter:
    name = "jddc"
    description = "JDDC chat log (tab-separated, 7 columns)"
    channel = ChannelSpec(kind="api", name="JDDC 导入", platform="jd")
    customer_system = "jddc"

    def agent(self, agent_key: str) -> AgentSpec:
        """The export does not say which agent answered, so one user stands for all of them."""
        return AgentSpec(email="jddc-agent@import.liuke.invalid", name="JDDC 客服（导入）")

    def parse(self, path: Path) -> ParsedFile:
        text = read_text(path, self.name)
        skipped, notes = Tally(), Tally()
        sessions: dict[str, _Session] = {}
        rows_read = valid = 0
        for number, raw in enumerate(text.split("\n"), 1):
            line = raw.rstrip("\r")
            if not line.strip():
                continue
            fields = line.split("\t")
            if number == 1 and _is_header(fields):
                continue
            rows_read += 1
            if len(fields) < WIDTH:
                skipped.add(
                    STRUCTURAL,
                    number,
                    f"{len(fields)} tab-separated field(s), expected {WIDTH}: {preview(line)}",
                )
                continue
            if self._row(number, fields, sessions, skipped, notes):
                valid += 1
        check_structure(self.name, rows_read, valid, skipped)
        conversations = [_conversation(s) for s in sessions.values() if s.messages]
        return ParsedFile(conversations, rows_read, skipped, notes)

    def _row(
        self,
        number: int,
        fields: list[str],
        sessions: dict[str, _Session],
        skipped: Tally,
        notes: Tally,
    ) -> bool:
        session_id, user_id, waiter, transferred, repeated, sku = (f.strip() for f in fields[:6])
        content = "\t".join(fields[WIDTH - 1 :])  # a tab inside the content must not lose text
        if not session_id or not user_id:
            skipped.add("missing session_id or user_id", number, preview("\t".join(fields)))
            return False
        if len(session_id) > MAX_ID or len(user_id) > MAX_ID:
            skipped.add("session_id or user_id too long", number, preview(session_id))
            return False
        flags = (waiter, transferred, repeated)
        if any(f not in ("0", "1") for f in flags):
            skipped.add("bad 0/1 flag", number, f"waiter_send/is_transferred/is_repeated={flags}")
            return False
        session = sessions.get(session_id)
        if session is None:
            session = sessions[session_id] = _Session(session_id, user_id, number)
        elif user_id != session.user_id:
            notes.add(
                "session with several user_ids (first one kept as the customer)",
                number,
                f"session {session_id}: {user_id} after {session.user_id}",
            )
        session.lines_seen += 1
        n = session.lines_seen
        if content.strip().upper() == "NULL":
            skipped.add("no content (NULL: nobody replied in this turn)", number, session_id)
            return False
        if not content.strip():
            skipped.add("missing text", number, session_id)
            return False
        if len(content) > MAX_BODY_CHARS:
            skipped.add("text too long", number, f"{len(content)} characters")
            return False
        session.transferred = session.transferred or transferred == "1"
        meta: dict[str, object] = {}
        if sku.lower() not in NO_SKU:
            meta["sku"] = sku
            if sku not in session.skus:
                session.skus.append(sku)
        if repeated == "1":
            meta["is_repeated"] = True
        if user_id != session.user_id:
            meta["user_id"] = user_id
        agent = waiter == "1"
        session.messages.append(
            ParsedMessage(
                line=number,
                key=f"jddc:{session_id}:{n}",
                sender="agent" if agent else "customer",
                body=content,
                agent_key=AGENT_KEY if agent else None,
                meta=meta,
            )
        )
        return True


def _is_header(fields: list[str]) -> bool:
    return len(fields) >= WIDTH and fields[2].strip() not in ("0", "1") and "session" in fields[0]


def _conversation(s: _Session) -> ParsedConversation:
    first_customer = next((m for m in s.messages if m.sender == "customer"), s.messages[0])
    meta: dict[str, object] = {"source": "jddc", "timestamps": "absent"}
    if s.skus:
        meta["skus"] = s.skus[:MAX_SKUS_IN_META]
    if s.transferred:
        meta["transferred"] = True
    return ParsedConversation(
        external_id=s.session_id,
        customer_external_id=s.user_id,
        customer_name=s.user_id,
        messages=s.messages,
        subject=preview(first_customer.body, 120),
        created_at=None,
        transferred=s.transferred,
        meta=meta,
    )
