"""The simulated rows obey the same rules as rows the services write (and each other)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from liuke.conversations.models import Conversation
from liuke.customers.models import Customer

from .helpers import Sim, epoch


def test_messages_are_contiguous_and_ordered(signal_world: Sim) -> None:
    rows = signal_world.rows(
        """SELECT conversation_id, seq, created_at FROM messages
           WHERE workspace_id = :ws ORDER BY conversation_id, seq"""
    )
    last: dict[int, tuple[int, str]] = {}
    for conv, seq, at in rows:
        prev = last.get(conv)
        if prev is None:
            assert seq == 1
        else:
            assert seq == prev[0] + 1
            assert at > prev[1]
        last[conv] = (seq, at)
    n_convs = signal_world.scalar("SELECT count(*) FROM conversations WHERE workspace_id = :ws")
    assert len(last) == n_convs


def test_conversation_fields_follow_their_messages(signal_world: Sim) -> None:
    convs = {
        r[0]: r
        for r in signal_world.rows(
            """SELECT id, created_at, first_response_at, last_message_at, message_count,
                      handled_by_bot, assignee_id, status, resolved_at, closed_at, transfer_count
               FROM conversations WHERE workspace_id = :ws"""
        )
    }
    msgs: dict[int, list[tuple[str, int | None, str]]] = defaultdict(list)
    for conv, sender, uid, at in signal_world.rows(
        """SELECT conversation_id, sender_type, sender_user_id, created_at FROM messages
           WHERE workspace_id = :ws ORDER BY conversation_id, seq"""
    ):
        msgs[conv].append((sender, uid, at))
    statuses: dict[str, int] = defaultdict(int)
    for cid, (
        _,
        created,
        first,
        last,
        count,
        bot,
        assignee,
        status,
        resolved,
        closed,
        tr,
    ) in convs.items():
        m = msgs[cid]
        statuses[status] += 1
        assert m[0][0] == "customer" and m[0][2] == created
        assert last == m[-1][2]
        assert count == len(m)
        responders = [at for sender, _, at in m if sender in ("bot", "agent")]
        assert first == (responders[0] if responders else None)
        assert bool(bot) == any(sender == "bot" for sender, _, _ in m)
        agents = [uid for sender, uid, _ in m if sender == "agent"]
        assert assignee == (agents[-1] if agents else None)
        if status == "abandoned":
            assert first is None and closed is not None and resolved is None
        if status in ("resolved", "closed"):
            assert resolved is not None and resolved >= last
        if status == "closed":
            assert closed is not None and closed > resolved
        if status in ("open", "pending"):
            assert resolved is None and closed is None
        if tr:
            assert any(sender == "system" for sender, _, _ in m)
    assert set(statuses) >= {"closed", "resolved", "abandoned", "pending"}
    assert statuses["closed"] > 0.5 * len(convs)


def test_messages_per_conversation_in_range(signal_world: Sim) -> None:
    counts = signal_world.result.counts
    assert 5 <= counts["messages"] / counts["conversations"] <= 8


def test_daily_sales_equal_order_aggregates(signal_world: Sim) -> None:
    sales = {
        (line, day): (n, units, round(revenue, 2))
        for line, day, n, units, revenue in signal_world.rows(
            """SELECT product_line_id, day, orders, units, revenue FROM daily_sales
               WHERE workspace_id = :ws"""
        )
    }
    orders = signal_world.rows(
        """SELECT p.product_line_id, date(o.ordered_at, '+8 hours'), count(*), sum(o.quantity),
                  round(sum(o.amount), 2)
           FROM orders o JOIN products p ON p.id = o.product_id
           WHERE o.workspace_id = :ws GROUP BY 1, 2"""
    )
    assert len(orders) == len(sales) == 28 * 6
    for line, day, n, units, revenue in orders:
        assert sales[(line, day)] == (n, units, round(revenue, 2))


def test_conversions_follow_pre_sales_conversations(signal_world: Sim) -> None:
    rows = signal_world.rows(
        """SELECT o.customer_id, c.customer_id, o.ordered_at, c.last_message_at,
                  json_extract(c.meta, '$.intent'), p.product_line_id, c.product_line_id
           FROM orders o
           JOIN conversations c ON c.id = o.source_conversation_id
           JOIN products p ON p.id = o.product_id
           WHERE o.workspace_id = :ws"""
    )
    assert len(rows) > 200
    for o_cust, c_cust, ordered, last, intent, o_line, c_line in rows:
        assert o_cust == c_cust
        assert epoch(ordered) > epoch(last)
        assert intent in ("pre_sales", "trade_in")
        assert o_line == c_line


def test_every_row_belongs_to_the_workspace(signal_world: Sim) -> None:
    ws = signal_world.ws
    assert signal_world.scalar("SELECT count(*) FROM workspaces") == 2  # the neighbour too
    for table in (
        "customers",
        "customer_external_ids",
        "customer_tags",
        "products",
        "product_lines",
        "orders",
        "daily_sales",
        "conversations",
        "messages",
        "conversation_labels",
    ):
        outside = signal_world.scalar(f"SELECT count(*) FROM {table} WHERE workspace_id != :ws")
        assert outside == 0, table
    crossed = signal_world.rows(
        """SELECT
             (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
               WHERE c.workspace_id != m.workspace_id),
             (SELECT count(*) FROM conversations c JOIN channels ch ON ch.id = c.channel_id
               WHERE ch.workspace_id != c.workspace_id),
             (SELECT count(*) FROM conversations c JOIN users u ON u.id = c.assignee_id
               WHERE u.workspace_id != c.workspace_id),
             (SELECT count(*) FROM orders o JOIN customers cu ON cu.id = o.customer_id
               WHERE cu.workspace_id != o.workspace_id)"""
    )[0]
    assert tuple(crossed) == (0, 0, 0, 0)
    assert ws != 1  # the neighbour was created first


def test_rows_read_back_through_the_orm(signal_world: Sim) -> None:
    with signal_world.db.session() as s:
        conv = s.scalars(
            select(Conversation)
            .where(Conversation.workspace_id == signal_world.ws)
            .order_by(Conversation.id)
            .limit(1)
        ).one()
        assert conv.created_at.utcoffset() is not None
        assert isinstance(conv.meta, dict) and "intent" in conv.meta
        assert isinstance(conv.handled_by_bot, bool)
        customer = s.scalars(
            select(Customer).where(Customer.workspace_id == signal_world.ws).limit(1)
        ).one()
        assert customer.tags and customer.external_ids
        assert customer.updated_at >= customer.created_at
    revenue = signal_world.scalar("SELECT sum(revenue) FROM daily_sales WHERE workspace_id = :ws")
    assert Decimal(str(revenue)) > 0
