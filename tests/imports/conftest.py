"""Small synthetic export files, written per test, so each rule is checked on known input."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from liuke.conversations.models import Channel, Conversation, Message
from liuke.core.db import Database
from liuke.core.events import OutboxEvent
from liuke.customers.models import Customer
from liuke.workspaces.models import User

TWCS_HEADER = [
    "",
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
]

# (tweet_id, author_id, inbound, created_at, text, in_response_to_tweet_id)
Tweet = tuple[int, str, bool, str, str, int | None]


@pytest.fixture
def write_twcs(tmp_path: Path) -> Callable[..., Path]:
    def write(tweets: Sequence[Tweet], name: str = "twcs.csv", extra: str = "") -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(TWCS_HEADER)
            for i, (tid, author, inbound, created, text, parent) in enumerate(tweets):
                children = ",".join(str(t[0]) for t in tweets if t[5] == tid)
                w.writerow(
                    [
                        i,
                        tid,
                        author,
                        str(inbound),
                        created,
                        text,
                        children,
                        "" if parent is None else f"{parent}.0",
                    ]
                )
            f.write(extra)
        return path

    return write


@pytest.fixture
def write_jddc(tmp_path: Path) -> Callable[..., Path]:
    def write(lines: Sequence[Sequence[str] | str], name: str = "chat.txt") -> Path:
        path = tmp_path / name
        text = "".join((ln if isinstance(ln, str) else "\t".join(ln)) + "\n" for ln in lines)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def table_counts(db: Database) -> Callable[[int], dict[str, int]]:
    """Rows an import can write in a workspace, to prove that a refused file wrote nothing."""
    return lambda workspace_id: _table_counts(db, workspace_id)


def _table_counts(db: Database, workspace_id: int) -> dict[str, int]:
    with db.session() as s:
        out = {
            model.__tablename__: int(
                s.scalar(select(func.count()).where(model.workspace_id == workspace_id)) or 0
            )
            for model in (Channel, User, Customer, Conversation, Message)
        }
        out["outbox_events"] = int(
            s.scalar(select(func.count()).where(OutboxEvent.workspace_id == workspace_id)) or 0
        )
        return out
