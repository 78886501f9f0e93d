"""Build the demo world into a database and write its ground truth.

The set-up rows (workspace, roles, users, skill groups, channels, product lines, products) go
through the capabilities' services and emit their events as usual. The simulated history
(customers, conversations, messages, labels, orders, daily sales) is loaded as facts: it is
bulk-inserted with SQLAlchemy Core in chunks and bypasses the event outbox, because a million
``message.created`` events about the past would only be noise for the workers. Capabilities that
react to events (quality, complaints, crm, analytics caches) backfill from the tables instead.

Everything is written in one transaction, so a failed run leaves nothing behind. The content
depends only on ``seed``, the sizes and ``end``; ids depend on what the database already holds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy import types as sqltypes
from sqlalchemy.orm import Session

from liuke.commerce.models import DailySales, Order, ProductLine
from liuke.commerce.models import Product as ProductRow
from liuke.commerce.service import create_product, create_product_line
from liuke.conversations.models import Channel, Conversation, ConversationLabel, Message
from liuke.conversations.service import create_channel
from liuke.core.db import Base, Database, UTCDateTime
from liuke.core.errors import Conflict
from liuke.core.events import emit
from liuke.customers.models import Customer, CustomerExternalId, CustomerTag
from liuke.simulate import catalog
from liuke.simulate.engine import (
    Agent,
    ConversationEngine,
    Group,
    Product,
    World,
    plan_days,
)
from liuke.simulate.orders import make_orders
from liuke.simulate.people import DAY, AgentPlan, Customers, make_customers, plan_agents
from liuke.simulate.rand import FastRandom, cumulative
from liuke.simulate.signals import PLANTED, Observed, Planted, build_ground_truth, choose_targets
from liuke.workspaces.models import SkillGroup, User, Workspace
from liuke.workspaces.service import create_skill_group, create_user, create_workspace, role_by_name

CHUNK = 10_000
Progress = Callable[[str, int, int], None]


class WorkspaceExistsError(Conflict):
    """The target slug is taken; rebuilding it needs ``replace=True`` (it deletes its rows)."""

    def __init__(self, slug: str) -> None:
        super().__init__(detail=f"workspace {slug!r} exists; pass replace=True to rebuild it")


@dataclass
class SimulationResult:
    workspace_id: int
    slug: str
    start: date
    end: date
    counts: dict[str, int]
    logins: list[tuple[str, str, str]]  # (email, password, role)
    ground_truth: dict[str, Any]
    elapsed_s: float


def demo_logins(agents: int = 40) -> list[tuple[str, str, str]]:
    """The logins a simulated workspace has: (email, password, role); one shared password."""
    pw, domain = catalog.DEMO_PASSWORD, catalog.EMAIL_DOMAIN
    head = [(f"admin@{domain}", pw, "admin"), (f"manager@{domain}", pw, "manager")]
    return head + [(f"agent{i:02d}@{domain}", pw, "agent") for i in range(1, agents + 1)]


DEMO_LOGINS = demo_logins()


def default_end() -> date:
    """Yesterday in the shop's time zone, so every simulated moment lies in the past."""
    return datetime.now(ZoneInfo(catalog.TIMEZONE)).date() - timedelta(days=1)


def simulate_world(
    db: Database,
    *,
    days: int = 90,
    seed: int = 42,
    slug: str = "demo",
    agents: int = 40,
    customers: int = 20_000,
    conversations: int = 150_000,
    end: date | None = None,
    ground_truth_path: Path | None = None,
    progress: Progress | None = None,
    replace: bool = False,
    planted: Planted = PLANTED,
) -> SimulationResult:
    """Create workspace ``slug`` holding ``days`` days of simulated history ending on ``end``
    (inclusive, China time; default: yesterday) and return its logins and ground truth.

    The same seed, sizes and end give the same content. Raises :class:`WorkspaceExistsError`
    when the slug exists, unless ``replace`` is set.
    """
    if days < 14:
        raise ValueError("days must be at least 14 (the complaint spike needs a full week)")
    if agents < 6:
        raise ValueError("agents must be at least 6")
    if customers < 50 or conversations < days:
        raise ValueError("need at least 50 customers and one conversation per day")
    t0 = time.perf_counter()
    end = end or default_end()
    start = end - timedelta(days=days - 1)
    tz = ZoneInfo(catalog.TIMEZONE)
    start_local = datetime(start.year, start.month, start.day, tzinfo=tz)
    start_ts = int(start_local.timestamp())
    offset = start_local.utcoffset()
    utc_offset_s = int(offset.total_seconds()) if offset is not None else 0
    end_ts = start_ts + days * DAY

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    with db.session() as s, _big_sqlite_cache(s):
        report("setup", 0, 1)
        old = s.scalar(select(Workspace.id).where(Workspace.slug == slug))
        if old is not None:
            if not replace:
                raise WorkspaceExistsError(slug)
            delete_workspace(s, old)
        rng_setup = FastRandom(f"{seed}:setup")
        agent_plans = plan_agents(rng_setup, agents)
        targets = choose_targets(
            FastRandom(f"{seed}:targets"),
            [a.groups for a in agent_plans],
            [a.shift for a in agent_plans],
            start,
            end,
        )
        setup = _setup(s, slug, seed, start_ts, agent_plans, targets.rude_agent, targets.slow_agent)
        ws_id = setup.workspace.id
        setup.workspace.settings = {
            "simulation": {"seed": seed, "start": start.isoformat(), "end": end.isoformat()}
        }
        report("setup", 1, 1)

        report("customers", 0, customers)
        cust_ids = reserve_ids(s, table_of(Customer), customers)
        people, rows = make_customers(
            FastRandom(f"{seed}:customers"), cust_ids, ws_id, start_ts, end_ts
        )
        insert_rows(s, table_of(Customer), rows.customers)
        insert_rows(s, table_of(CustomerExternalId), rows.external_ids)
        insert_rows(s, table_of(CustomerTag), rows.tags)
        report("customers", customers, customers)

        world = World(
            workspace_id=ws_id,
            start=start,
            days=days,
            start_ts=start_ts,
            utc_offset_s=utc_offset_s,
            agents=setup.agents,
            groups=setup.groups,
            channel_ids=setup.channel_ids,
            line_ids=setup.line_ids,
            products=setup.products,
            product_cum=setup.product_cum,
            customers=people,
        )
        obs = Observed()
        plans = plan_days(FastRandom(f"{seed}:plan"), world, conversations, targets, planted)
        n_conv = sum(len(p.contacts) for p in plans)
        writer = BulkWriter(s)
        engine = ConversationEngine(
            FastRandom(f"{seed}:conversations"), world, targets, planted, writer, obs
        )
        engine.run(
            plans,
            reserve_ids(s, table_of(Conversation), n_conv),
            lambda done, total: report("conversations", done, total),
        )
        writer.flush()

        report("orders", 0, 1)
        order_rows, daily_rows = make_orders(
            FastRandom(f"{seed}:orders"), world, plans, engine.conversions, obs
        )
        insert_rows(s, table_of(Order), order_rows)
        insert_rows(s, table_of(DailySales), daily_rows)
        _finish_customers(s, people)
        report("orders", 1, 1)

        truth = build_ground_truth(
            seed=seed,
            slug=slug,
            workspace_id=ws_id,
            start=start,
            end=end,
            planted=planted,
            targets=targets,
            obs=obs,
            agent_ids=[a.id for a in setup.agents],
            agent_names=[a.name for a in setup.agents],
            agent_emails=[a.email for a in agent_plans],
            line_ids=setup.line_ids,
            channel_ids=setup.channel_ids,
        )
        truth["counts"] = counts = count_rows(s, ws_id)
    # fresh planner statistics: after a bulk load the planner would still think the tables
    # empty and pick nested loops that make the metric queries quadratic
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    if ground_truth_path is not None:
        ground_truth_path.parent.mkdir(parents=True, exist_ok=True)
        ground_truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n")
    report("done", 1, 1)
    return SimulationResult(
        workspace_id=ws_id,
        slug=slug,
        start=start,
        end=end,
        counts=counts,
        logins=setup.logins,
        ground_truth=truth,
        elapsed_s=round(time.perf_counter() - t0, 2),
    )


@contextmanager
def _big_sqlite_cache(s: Session) -> Iterator[None]:
    """A 256 MiB page cache while loading on SQLite (index pages stay in memory), then back."""
    if s.get_bind().dialect.name != "sqlite":
        yield
        return
    conn = s.connection()
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql("PRAGMA cache_size=-262144")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


# --- set-up through the services ----------------------------------------------------------


@dataclass
class _Setup:
    workspace: Workspace
    agents: list[Agent]
    groups: dict[str, Group]
    channel_ids: list[int]
    line_ids: list[int]
    products: list[list[Product]]
    product_cum: list[list[float]]
    logins: list[tuple[str, str, str]]


def _setup(
    s: Session,
    slug: str,
    seed: int,
    start_ts: int,
    agent_plans: list[AgentPlan],
    rude: int,
    slow: int,
) -> _Setup:
    """Workspace, skill groups, users, channels and the catalogue, through the services."""
    ws = create_workspace(s, slug, catalog.WORKSPACE_NAME, "zh_CN", catalog.TIMEZONE)
    since = datetime.fromtimestamp(start_ts - 200 * DAY, UTC)  # the shop opened before the window
    ws.created_at = since
    ws_id = ws.id
    groups: dict[str, Group] = {}
    group_rows: dict[str, SkillGroup] = {}
    for g in catalog.SKILL_GROUPS:
        row = create_skill_group(s, ws_id, g.name, g.description)
        row.created_at = since
        group_rows[g.key] = row
        groups[g.key] = Group(g.key, row.id, g.name)

    password = catalog.DEMO_PASSWORD
    admin = create_user(s, ws_id, f"admin@{catalog.EMAIL_DOMAIN}", "系统管理员", password, "admin")
    admin.created_at = since
    logins = [(admin.email, password, "admin")]
    # Argon2 costs ~0.3 s a hash here; every demo login shares one password, so they share the
    # admin's hash instead of paying that 40 times (login verifies it as usual).
    shared_hash = admin.password_hash
    people: list[tuple[str, str, str, AgentPlan | None]] = [
        (f"manager@{catalog.EMAIL_DOMAIN}", "周敏", "manager", None)
    ]
    people += [(a.email, a.name, "agent", a) for a in agent_plans]
    agents: list[Agent] = []
    for i, (email, name, role_name, plan) in enumerate(people):
        role = role_by_name(s, ws_id, role_name)
        user = User(
            workspace_id=ws_id,
            email=email,
            name=name,
            password_hash=shared_hash,
            role_id=role.id,
            locale="zh_CN",
            is_active=True,
            max_concurrent_chats=5,
            created_at=since + timedelta(minutes=i + 1),
        )
        if plan is not None:
            user.skill_groups = [group_rows[k] for k in plan.groups]
        s.add(user)
        s.flush()
        emit(s, ws_id, "user.created", {"user_id": user.id, "role": role_name})
        logins.append((email, password, role_name))
        if plan is not None:
            agents.append(
                Agent(
                    id=user.id,
                    index=len(agents),
                    name=name,
                    nick=plan.nick,
                    groups=plan.groups,
                    shift=plan.shift,
                    frt_median=plan.frt_median,
                    reply_median=plan.reply_median,
                    rude=len(agents) == rude,
                    slow=len(agents) == slow,
                )
            )

    existing = {c.name: c for c in s.scalars(select(Channel).where(Channel.workspace_id == ws_id))}
    for default in existing.values():  # defaults we do not use (API) stay, dated like the rest
        default.created_at = since
    channel_ids = []
    for spec in catalog.CHANNELS:
        ch = existing.get(spec.name) or create_channel(
            s, ws_id, spec.kind, spec.name, spec.platform
        )
        ch.platform = spec.platform
        ch.created_at = since
        channel_ids.append(ch.id)

    rng = FastRandom(f"{seed}:catalogue")
    line_ids, products, product_cum = [], [], []
    for li, line in enumerate(catalog.PRODUCT_LINES):
        pl = create_product_line(s, ws_id, line.code, line.name, line.department)
        line_ids.append(pl.id)
        items = []
        for j, (name, name_en, price) in enumerate(line.products):
            sku = f"{line.sku_prefix}-{j + 1:03d}"
            p = create_product(s, ws_id, pl.id, sku, name, Decimal(price))
            items.append(Product(p.id, li, name, name_en, price * 100))
        ranks = list(range(len(items)))
        rng.shuffle(ranks)  # popularity: a Zipf-like curve over a shuffled order
        products.append(items)
        product_cum.append(cumulative([1.0 / (r + 1) ** 0.7 for r in ranks]))
    s.flush()
    return _Setup(ws, agents, groups, channel_ids, line_ids, products, product_cum, logins)


# --- bulk writing ---------------------------------------------------------------------------


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def reserve_ids(s: Session, table: Table, n: int) -> list[int]:
    """Ids for ``n`` rows we insert ourselves (their children need them before the insert).

    PostgreSQL: drawn from the table's sequence, safe beside other writers. SQLite: the rows
    after the current maximum; the transaction already holds the write lock (it created the
    workspace), so nobody else can take them.
    """
    if s.get_bind().dialect.name == "postgresql":
        seq = s.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
        ids = s.scalars(text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": seq, "n": n})
        return sorted(int(i) for i in ids)
    first = int(s.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
    return list(range(first, first + n))


def insert_rows(s: Session, table: Table, rows: list[dict[str, Any]], chunk: int = CHUNK) -> None:
    """Core executemany in chunks: the ORM's unit of work is far too slow for a million rows.

    Datetime columns may hold UTC epoch seconds (ints, what the engine produces) or aware
    datetimes. On SQLite the rows are encoded here and handed to the driver's ``executemany``
    directly: SQLAlchemy's per-row parameter processing would otherwise cost more than SQLite's
    own work. The encoding is exactly what the column types store (a test reads rows back through
    the ORM and compares); other backends take the plain Core path.
    """
    if not rows:
        return
    columns = list(rows[0])
    sqlite = s.get_bind().dialect.name == "sqlite"
    encoders = [
        (i, enc)
        for i, name in enumerate(columns)
        if (enc := _encoder(table.c[name].type, sqlite)) is not None
    ]
    if not sqlite:
        for start in range(0, len(rows), chunk):
            batch = [dict(row) for row in rows[start : start + chunk]]
            for row in batch:
                for i, enc in encoders:
                    name = columns[i]
                    if row[name] is not None:
                        row[name] = enc(row[name])
            s.execute(insert(table), batch)
        return
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    conn = s.connection()
    getter = itemgetter(*columns)
    for start in range(0, len(rows), chunk):
        params = []
        for row in rows[start : start + chunk]:
            values = list(getter(row)) if len(columns) > 1 else [row[columns[0]]]
            for i, enc in encoders:
                v = values[i]
                if v is not None:
                    values[i] = enc(v)
            params.append(tuple(values))
        conn.exec_driver_sql(sql, params)


_EPOCH = date(1970, 1, 1)
_DAY_PREFIX: dict[int, str] = {}
_TIME_OF_DAY: list[str] = []


def _to_datetime(v: int | datetime) -> datetime:
    return datetime.fromtimestamp(v, UTC) if isinstance(v, int) else v


def _sqlite_datetime(v: int | datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC).

    Epoch seconds take a table lookup instead of building a datetime: at a million rows the
    datetime route costs several seconds on its own.
    """
    if isinstance(v, datetime):
        if v.tzinfo is None:
            raise ValueError("naive datetime given; liuke stores aware UTC datetimes only")
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if not _TIME_OF_DAY:
        _TIME_OF_DAY.extend(
            f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}.000000" for t in range(DAY)
        )
    day, second = divmod(v, DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = (_EPOCH + timedelta(days=day)).isoformat() + " "
    return prefix + _TIME_OF_DAY[second]


def _sqlite_json(v: Any) -> str:
    return "{}" if v == {} else json.dumps(v)


def _encoder(column_type: Any, sqlite: bool) -> Callable[[Any], Any] | None:
    """How a value of this column type is stored (SQLite) or bound (other backends)."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime if sqlite else _to_datetime
    if not sqlite:
        return None
    if isinstance(column_type, sqltypes.JSON):
        return _sqlite_json
    if isinstance(column_type, sqltypes.Numeric):
        return float
    if isinstance(column_type, sqltypes.Date):
        return date.isoformat
    if isinstance(column_type, sqltypes.Boolean):
        return int
    return None


class BulkWriter:
    """The engine's sink: buffers rows and inserts parents before children (foreign keys)."""

    def __init__(self, s: Session, chunk: int = CHUNK) -> None:
        self.s = s
        self.chunk = chunk
        self.conversations: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.labels: list[dict[str, Any]] = []

    def conversation(self, row: dict[str, Any]) -> None:
        self.conversations.append(row)

    def message(self, row: dict[str, Any]) -> None:
        self.messages.append(row)
        if len(self.messages) >= self.chunk:
            self.flush()

    def label(self, row: dict[str, Any]) -> None:
        self.labels.append(row)

    def flush(self) -> None:
        for table, rows in (
            (table_of(Conversation), self.conversations),
            (table_of(Message), self.messages),
            (table_of(ConversationLabel), self.labels),
        ):
            if rows:
                insert_rows(self.s, table, rows, self.chunk)
                rows.clear()


def _finish_customers(s: Session, people: Customers) -> None:
    """Record churn (``attributes['churned_at']``) and last activity now that both are known."""
    table = table_of(Customer)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            updated_at=bindparam("b_updated", type_=table.c.updated_at.type),
            attributes=bindparam("b_attributes", type_=table.c.attributes.type),
        )
    )
    rows = []
    for cid, attrs, reg, last, gone in zip(
        people.ids,
        people.attributes,
        people.registered_ts,
        people.last_activity_ts,
        people.churned_ts,
        strict=True,
    ):
        if last == reg and gone is None:
            continue
        if gone is not None:
            attrs = {**attrs, "churned_at": datetime.fromtimestamp(gone, UTC).isoformat()}
        rows.append(
            {"b_id": cid, "b_updated": datetime.fromtimestamp(last, UTC), "b_attributes": attrs}
        )
    for i in range(0, len(rows), CHUNK):
        s.execute(stmt, rows[i : i + CHUNK])


COUNTED: tuple[type[Base], ...] = (
    User,
    SkillGroup,
    Channel,
    ProductLine,
    ProductRow,
    Customer,
    CustomerExternalId,
    CustomerTag,
    Conversation,
    Message,
    ConversationLabel,
    Order,
    DailySales,
)


def count_rows(s: Session, workspace_id: int) -> dict[str, int]:
    """Rows per table in the workspace (the result's and ground truth's ``counts``)."""
    out = {}
    for model in COUNTED:
        table = table_of(model)
        query = select(func.count()).select_from(table).where(table.c.workspace_id == workspace_id)
        out[table.name] = int(s.scalar(query) or 0)
    return out


def delete_workspace(s: Session, workspace_id: int) -> None:
    """Delete a workspace and every row it owns, children first.

    Deleting the workspace row alone would cascade, but SQLite may then meet a RESTRICT key
    (orders -> customers, users -> roles) before its child rows are gone; walking the tables in
    reverse dependency order avoids that on every backend. Tables that other capabilities add
    later are covered as long as ``liuke.models`` imports them (or they cascade from workspaces).
    """
    import liuke.models  # noqa: F401  (registers every capability's tables on Base.metadata)

    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "workspaces" and "workspace_id" in table.c:
            s.execute(delete(table).where(table.c.workspace_id == workspace_id))
    s.execute(delete(table_of(Workspace)).where(table_of(Workspace).c.id == workspace_id))
    s.expunge_all()
