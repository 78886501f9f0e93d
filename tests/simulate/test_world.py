"""Building, rebuilding and logging into a simulated workspace; the fast SQLite insert path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from liuke.commerce.models import DailySales, Order, ProductLine
from liuke.conversations.models import Channel, Conversation
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.customers.models import Customer
from liuke.simulate import WorkspaceExistsError, demo_logins, simulate_world
from liuke.simulate.world import insert_rows, table_of
from liuke.workspaces.service import create_workspace, login
from tests.conftest import empty_database_url

from .helpers import END, fresh_db

TINY: dict[str, Any] = {"days": 14, "customers": 300, "conversations": 1500, "agents": 6}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh database of each kind (not the shared one: a world is large and noisy)."""
    with empty_database_url(request.param, tmp_path) as url:
        upgrade(url)
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


def test_runs_on_every_backend(own_db: Database) -> None:
    """SQLite and PostgreSQL, next to another workspace, with a rebuild on top."""
    db = own_db
    with db.session() as s:
        create_workspace(s, "neighbour", "Neighbour")
    simulate_world(db, slug="sim", end=END, **TINY)
    result = simulate_world(db, slug="sim", end=END, replace=True, **TINY)
    assert result.counts["conversations"] >= 1400
    assert result.counts["messages"] > 5 * result.counts["conversations"]
    with db.session() as s:
        n = s.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.workspace_id == result.workspace_id)
        )
        assert n == result.counts["conversations"]
        first = s.scalars(
            select(Conversation)
            .where(Conversation.workspace_id == result.workspace_id)
            .order_by(Conversation.created_at)
            .limit(1)
        ).one()
        assert first.created_at.astimezone(UTC).date() >= date(2026, 11, 7)
        # ids were reserved properly: the application can keep inserting afterwards
        channel = s.scalars(
            select(Channel).where(Channel.workspace_id == result.workspace_id)
        ).first()
        assert channel is not None
        s.add(Conversation(workspace_id=result.workspace_id, channel_id=channel.id, meta={}))
        s.flush()


def test_existing_slug_needs_replace(tmp_path: Path) -> None:
    db = fresh_db(tmp_path / "w.db")
    first = simulate_world(db, end=END, **TINY)
    with pytest.raises(WorkspaceExistsError):
        simulate_world(db, end=END, **TINY)
    again = simulate_world(db, end=END, replace=True, **TINY)
    assert again.counts == first.counts
    spike = again.ground_truth["signals"]["complaint_spike"]
    assert spike["week_start"] == first.ground_truth["signals"]["complaint_spike"]["week_start"]
    with db.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM messages")).scalar()
        workspaces = conn.execute(text("SELECT count(*) FROM workspaces")).scalar()
    assert total == again.counts["messages"]  # nothing of the first build is left
    assert workspaces == 1
    db.dispose()


def test_invalid_sizes_are_refused(tmp_path: Path) -> None:
    db = fresh_db(tmp_path / "w.db")
    with pytest.raises(ValueError, match="days"):
        simulate_world(db, end=END, days=10, customers=300, conversations=1500, agents=6)
    with pytest.raises(ValueError, match="agents"):
        simulate_world(db, end=END, days=14, customers=300, conversations=1500, agents=3)
    db.dispose()


def test_demo_logins_work(tmp_path: Path) -> None:
    db = fresh_db(tmp_path / "w.db")
    result = simulate_world(db, end=END, **TINY)
    assert result.logins == demo_logins(TINY["agents"])
    email, password, role = result.logins[0]
    with db.session() as s:
        _, user = login(s, "demo", email, password)
        assert user.role.name == role == "admin"
    with db.session() as s:
        _, agent = login(s, "demo", *result.logins[-1][:2])
        assert agent.skill_groups
    db.dispose()


def test_fast_sqlite_insert_stores_what_sqlalchemy_stores(tmp_path: Path) -> None:
    """The SQLite fast path must write byte-identical values to SQLAlchemy's own Core insert."""
    db = fresh_db(tmp_path / "w.db")
    at = datetime(2026, 11, 21, 3, 4, 5, tzinfo=UTC)
    with db.session() as s:
        ws = create_workspace(s, "enc", "Encoding")
        channel = s.scalars(select(Channel).where(Channel.workspace_id == ws.id)).first()
        assert channel is not None
        line = ProductLine(workspace_id=ws.id, code="x", name="线", owner_department="")
        s.add(line)
        s.flush()

        def conv(external_id: str, when: Any, meta: dict[str, Any]) -> dict[str, Any]:
            return {
                "workspace_id": ws.id,
                "channel_id": channel.id,
                "customer_id": None,
                "external_id": external_id,
                "subject": "主题",
                "status": "closed",
                "created_at": when,
                "first_response_at": None,
                "transfer_count": 0,
                "message_count": 0,
                "handled_by_bot": True,
                "meta": meta,
            }

        meta = {"intent": "pre_sales", "csat": 4, "城市": "上海"}
        s.execute(insert(Conversation), [conv("a", at, meta), conv("c", at, {})])
        insert_rows(s, table_of(Conversation), [conv("b", int(at.timestamp()), meta)])
        insert_rows(s, table_of(Conversation), [conv("d", at, {})])
        sales = {
            "workspace_id": ws.id,
            "product_line_id": line.id,
            "orders": 3,
            "units": 4,
            "revenue": Decimal("1234.50"),
        }
        s.execute(insert(DailySales), [{**sales, "day": date(2026, 11, 20)}])
        insert_rows(s, table_of(DailySales), [{**sales, "day": date(2026, 11, 21)}])
        cust = {
            "workspace_id": ws.id,
            "name": "王",
            "phone": None,
            "email": None,
            "tier": "ordinary",
            "attributes": {"city": "上海"},
            "created_at": at,
            "updated_at": at,
        }
        s.execute(insert(Customer), [cust])
        insert_rows(s, table_of(Customer), [{**cust, "created_at": int(at.timestamp())}])
        customer_ids = list(s.scalars(select(Customer.id).order_by(Customer.id)))
        assert len(customer_ids) == 2

    def raw(sql: str) -> list[tuple[Any, ...]]:
        with db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    cols = (
        "subject, status, created_at, typeof(created_at), first_response_at, handled_by_bot, meta"
    )
    a, b = raw(f"SELECT {cols} FROM conversations WHERE external_id IN ('a', 'b') ORDER BY id")
    assert a == b
    c, d = raw(f"SELECT {cols} FROM conversations WHERE external_id IN ('c', 'd') ORDER BY id")
    assert c == d
    s1, s2 = raw("SELECT orders, units, revenue, typeof(revenue) FROM daily_sales ORDER BY day")
    assert s1 == s2
    days = raw("SELECT day FROM daily_sales ORDER BY day")
    assert days == [("2026-11-20",), ("2026-11-21",)]
    c1, c2 = raw("SELECT created_at, updated_at, attributes FROM customers ORDER BY id")
    assert c1[1:] == c2[1:] and c1[0] == c2[0]
    with db.session() as s:
        loaded = s.scalars(select(Conversation).where(Conversation.external_id == "b")).one()
        assert loaded.created_at == at and loaded.meta == meta and loaded.handled_by_bot is True
        order_cols = {c.name for c in table_of(Order).columns}
        assert "amount" in order_cols
    db.dispose()
