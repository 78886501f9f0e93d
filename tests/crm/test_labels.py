"""Churn records from the shop's data: imported marks, detected silence, returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from liuke.commerce.models import Order, Product, ProductLine
from liuke.conversations.models import Channel, Conversation
from liuke.core.db import Database
from liuke.crm.labels import parse_churned_at, sync_churn_records
from liuke.crm.models import ChurnRecord
from liuke.customers.models import Customer
from tests.conftest import WorkspaceCtx

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)


def _customer(s, ws: int, name: str, **attrs: object) -> int:  # type: ignore[no-untyped-def]
    c = Customer(
        workspace_id=ws, name=name, attributes=dict(attrs), created_at=AS_OF - timedelta(days=400)
    )
    s.add(c)
    s.flush()
    return c.id


def _setup(s, ws: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    line = ProductLine(workspace_id=ws, code="l", name="line")
    s.add(line)
    s.flush()
    product = Product(
        workspace_id=ws, product_line_id=line.id, sku="p", name="p", price=Decimal(10)
    )
    channel = Channel(workspace_id=ws, kind="web", name="web")
    s.add_all([product, channel])
    s.flush()
    return product.id, channel.id


def _order(s, ws: int, product: int, cid: int, at: datetime, status: str = "paid") -> None:  # type: ignore[no-untyped-def]
    s.execute(
        insert(Order),
        [{"workspace_id": ws, "customer_id": cid, "product_id": product, "amount": Decimal(10),
          "status": status, "ordered_at": at}],
    )  # fmt: skip


def _contact(s, ws: int, channel: int, cid: int, at: datetime) -> None:  # type: ignore[no-untyped-def]
    s.add(Conversation(workspace_id=ws, channel_id=channel, customer_id=cid, created_at=at))
    s.flush()


def test_parse_churned_at() -> None:
    assert parse_churned_at("2026-01-02T03:04:05+00:00") == datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=UTC
    )
    assert parse_churned_at("2026-01-02T03:04:05") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_churned_at("2026-01-02T11:04:05+08:00") == datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=UTC
    )
    for bad in (None, "", "soon", 12, "2026-13-01"):
        assert parse_churned_at(bad) is None


def test_sync_imports_detects_and_marks_returns(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    with db.session() as s:
        product, channel = _setup(s, ws)
        marked = _customer(s, ws, "marked", churned_at=(AS_OF - timedelta(days=20)).isoformat())
        future = _customer(s, ws, "future", churned_at=(AS_OF + timedelta(days=2)).isoformat())
        junk = _customer(s, ws, "junk", churned_at="not a date")
        silent = _customer(s, ws, "silent")
        _order(s, ws, product, silent, AS_OF - timedelta(days=120))
        _contact(s, ws, channel, silent, AS_OF - timedelta(days=100))
        active = _customer(s, ws, "active")
        _order(s, ws, product, active, AS_OF - timedelta(days=200))
        _contact(s, ws, channel, active, AS_OF - timedelta(days=10))
        never = _customer(s, ws, "never")  # no order, no contact: nothing to lose
        refunded_only = _customer(s, ws, "refunded")
        _order(s, ws, product, refunded_only, AS_OF - timedelta(days=150), "refunded")
        back = _customer(s, ws, "back", churned_at=(AS_OF - timedelta(days=60)).isoformat())
        _order(s, ws, product, back, AS_OF - timedelta(days=5))

        report = sync_churn_records(s, ws, AS_OF)
        assert (report.imported, report.detected, report.won_back) == (2, 2, 1)
        rows = {
            r.customer_id: r
            for r in s.scalars(select(ChurnRecord).where(ChurnRecord.workspace_id == ws))
        }
        assert set(rows) == {marked, silent, refunded_only, back}
        assert rows[marked].source == "imported"
        assert rows[marked].churned_at == AS_OF - timedelta(days=20)
        assert rows[silent].source == "detected"
        assert rows[silent].churned_at == AS_OF - timedelta(days=100)  # the last activity
        assert rows[refunded_only].churned_at == AS_OF - timedelta(days=150)
        assert rows[back].won_back_at == AS_OF - timedelta(days=5)
        assert rows[marked].won_back_at is None
        for cid in (future, junk, active, never):
            assert cid not in rows

        # a person records the reason; a second run changes nothing and keeps it
        rows[silent].reason = "price"
        rows[silent].source = "recorded"
        s.flush()
        again = sync_churn_records(s, ws, AS_OF)
        assert (again.imported, again.detected, again.won_back) == (0, 0, 0)
        assert again.existing == 4 and again.churned == 3
        kept = s.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == silent))
        assert kept is not None and (kept.reason, kept.source) == ("price", "recorded")

        # the silent customer comes back with a contact
        _contact(s, ws, channel, silent, AS_OF + timedelta(days=1))
        later = sync_churn_records(s, ws, AS_OF + timedelta(days=3))
        assert later.won_back == 1
        assert s.scalar(
            select(ChurnRecord.won_back_at).where(ChurnRecord.customer_id == silent)
        ) == AS_OF + timedelta(days=1)


def test_sync_is_scoped(db: Database, make_workspace) -> None:  # type: ignore[no-untyped-def]
    a, b = make_workspace("A"), make_workspace("B")
    with db.session() as s:
        _customer(s, a.id, "gone", churned_at=(AS_OF - timedelta(days=3)).isoformat())
        assert sync_churn_records(s, b.id, AS_OF).imported == 0
        assert sync_churn_records(s, a.id, AS_OF).imported == 1
