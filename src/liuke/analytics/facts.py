"""The facts every metric aggregates: one row per conversation, with its timings and outcomes.

Times become whole epoch seconds before any arithmetic: SQLite keeps timestamps as text with no
sub-second arithmetic, so comparing at one-second resolution is what lets every engine return
identical figures. Calendar buckets (day, week, month, hour) are integer arithmetic on local epoch
seconds, which every engine computes the same way, instead of each engine's own date functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
from ibis import Table

from liuke.analytics.engines import Engine

DAY_S = 86_400
# conversation columns the facts carry unchanged (ids for breakdowns, status, transfers)
PASSED_THROUGH = (
    "id",
    "channel_id",
    "customer_id",
    "assignee_id",
    "skill_group_id",
    "product_line_id",
    "status",
    "transfer_count",
    "timing_known",
)
STAFF = ("agent", "bot")
DONE = ("resolved", "closed")


@dataclass(frozen=True)
class Targets:
    """The workspace's service targets; defaults are the marketplace bar (5 s, 55 s, 99%)."""

    first_response_s: int = 5
    average_response_s: int = 55
    reply_rate: float = 0.99
    conversion_window_h: int = 72
    business_start_h: int = 0
    business_end_h: int = 24
    # intents that make a conversation a pre-sales inquiry (询单); a conversation with no intent
    # recorded counts too, so a workspace without intent detection still sees its conversion
    presales_intents: tuple[str, ...] = ("pre_sales", "trade_in")
    # how orders are credited to inquiries: "link" trusts the order's source conversation (the
    # shop's order feed records it), "window" credits the latest inquiry before the order, and
    # "auto" uses links when the period's orders carry any, else the window
    attribution: str = "auto"

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Targets:
        """Read ``settings["sla"]`` and ``settings["business_hours"]``; bad values keep defaults."""
        sla = settings.get("sla") or {}
        hours = settings.get("business_hours") or {}
        base = cls()

        def pick(src: dict[str, Any], key: str, default: Any, lo: float, hi: float) -> Any:
            value = src.get(key, default)
            ok = (
                isinstance(value, int | float) and not isinstance(value, bool) and lo <= value <= hi
            )
            return type(default)(value) if ok else default

        return cls(
            first_response_s=pick(sla, "first_response_s", base.first_response_s, 1, 86_400),
            average_response_s=pick(sla, "average_response_s", base.average_response_s, 1, 86_400),
            reply_rate=pick(sla, "reply_rate", base.reply_rate, 0, 1),
            conversion_window_h=pick(
                settings.get("analytics") or {}, "conversion_window_h", 72, 1, 24 * 90
            ),
            business_start_h=pick(hours, "start_h", 0, 0, 23),
            business_end_h=pick(hours, "end_h", 24, 1, 24),
            attribution=(
                a
                if (a := (settings.get("analytics") or {}).get("attribution"))
                in ("auto", "link", "window")
                else "auto"
            ),
            presales_intents=_names(
                (settings.get("analytics") or {}).get("presales_intents"), base.presales_intents
            ),
        )


def _names(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return default


@dataclass(frozen=True)
class Window:
    """A workspace and a half-open range of local calendar days, as epoch seconds."""

    workspace_id: int
    start_day: date
    end_day: date  # inclusive
    tz: str = "Asia/Shanghai"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def _epoch(self, d: date) -> int:
        return int(datetime.combine(d, time(0), tzinfo=self.zone).timestamp())

    @property
    def start(self) -> int:
        return self._epoch(self.start_day)

    @property
    def end(self) -> int:
        return self._epoch(self.end_day + timedelta(days=1))

    @property
    def utc_offset(self) -> int:
        """Seconds from UTC to local time, taken at the window's start (China has no DST)."""
        start = datetime.combine(self.start_day, time(12), tzinfo=self.zone)
        offset = start.utcoffset()
        return int(offset.total_seconds()) if offset else 0

    @property
    def days(self) -> int:
        return (self.end_day - self.start_day).days + 1

    def shifted(self, days: int) -> Window:
        delta = timedelta(days=days)
        return Window(self.workspace_id, self.start_day + delta, self.end_day + delta, self.tz)

    def previous(self) -> Window:
        """The equal-length period just before this one."""
        return self.shifted(-self.days)

    def last_year(self) -> Window:
        """The same calendar days a year earlier (29 February falls back to the 28th)."""

        def back(d: date) -> date:
            try:
                return d.replace(year=d.year - 1)
            except ValueError:
                return d.replace(year=d.year - 1, day=28)

        return Window(self.workspace_id, back(self.start_day), back(self.end_day), self.tz)


def epoch_bound(value: int) -> ibis.Value:
    return ibis.literal(datetime.fromtimestamp(value, UTC).replace(tzinfo=None))


def seconds_of(col: ibis.Value, engine: str) -> ibis.Value:
    """Whole epoch seconds, truncated on every engine.

    SQLite's ``strftime('%s')`` truncates; DuckDB's and PostgreSQL's epoch casts round, which
    would move 23:59:59.6 into the next day. So the others truncate to the second first (SQLite
    stores no sub-second arithmetic to truncate with).
    """
    if engine != "sqlite":
        col = col.truncate("s")
    return col.epoch_seconds().cast("int64")


def message_stats(messages: Table, engine: str) -> Table:
    """Per conversation: replies and their waits, the agent's first wait, whether a dialogue began.

    A *reply* is a bot or agent message right after a customer message; its wait runs from the
    first customer message of that unanswered run. The agent's first wait runs from the message
    before the first agent message: the customer's run, or the bot's hand-off, so a bot that
    answered first does not hide a slow human pickup. System notices are not part of the dialogue.
    """
    m = messages.filter(messages.sender_type != "system").mutate(
        t=seconds_of(messages.created_at, engine)
    )
    w = ibis.window(group_by=m.conversation_id, order_by=[m.seq])
    m = m.mutate(prev=m.sender_type.lag().over(w), prev_t=m.t.lag().over(w))
    run_start = (m.sender_type == "customer") & (m.prev.isnull() | (m.prev != "customer"))
    upto = ibis.window(group_by=m.conversation_id, order_by=[m.seq], preceding=None, following=0)
    m = m.mutate(
        run_t=ibis.cases((run_start, m.t)).max().over(upto),
        staff_n=m.sender_type.isin(STAFF).ifelse(1, 0).sum().over(upto),
        agent_n=(m.sender_type == "agent").ifelse(1, 0).sum().over(upto),
    )
    is_reply = m.sender_type.isin(STAFF) & (m.prev == "customer")
    wait = m.t - m.run_t
    first_agent = (m.sender_type == "agent") & (m.agent_n == 1)
    agent_wait = ibis.cases(
        (first_agent & (m.prev == "customer"), wait), (first_agent, m.t - m.prev_t)
    )
    m = m.mutate(
        is_reply=is_reply.ifelse(1, 0),
        wait=ibis.cases((is_reply, wait)),
        agent_wait=agent_wait,
        consult=((m.sender_type == "customer") & (m.staff_n > 0)).ifelse(1, 0),
        is_agent=(m.sender_type == "agent").ifelse(1, 0),
    )
    return m.group_by(cid=m.conversation_id).aggregate(
        replies=m.is_reply.sum(),
        wait_sum=m.wait.sum(),
        wait_sumsq=(m.wait * m.wait).sum(),
        agent_frt=m.agent_wait.max(),
        has_agent=m.is_agent.max(),
        consulted=m.consult.max(),
    )


def is_inquiry(intent: ibis.Value, targets: Targets) -> ibis.Value:
    """A pre-sales inquiry: a pre-sales intent, or no intent recorded at all."""
    key = intent.fill_null("")
    return key.isin(targets.presales_intents) | (key == "")


def linked_orders(conversations: Table, orders: Table, targets: Targets) -> Table:
    """Paid orders credited to the inquiry the order feed says they came from."""
    conversations = conversations.filter(
        conversations.customer_id.notnull(), is_inquiry(conversations.intent, targets)
    )
    o = orders.filter(
        orders.status == "paid",
        orders.source_conversation_id.notnull(),
        orders.source_conversation_id.isin(conversations.id),
    )
    return o.group_by(ocid=o.source_conversation_id).aggregate(
        orders_n=o.id.count(),
        value_cents=(o.amount.cast("float64") * 100).round().cast("int64").sum(),
    )


def uses_links(engine: Engine, workspace_id: int, targets: Targets) -> bool:
    """Whether to credit orders by their recorded source conversation (see ``attribution``).

    "auto" asks whether the workspace's order feed records links at all, not whether one
    period's orders do, so every period of a comparison is credited the same way.
    """
    if targets.attribution != "auto":
        return targets.attribution == "link"
    orders = engine.table("orders")
    linked = orders.filter(
        orders.workspace_id == workspace_id, orders.source_conversation_id.notnull()
    )
    return bool(linked.limit(1).count().execute() > 0)


def attributed_orders(
    conversations: Table, orders: Table, window_s: int, targets: Targets, engine: str
) -> Table:
    """Each paid order credited to the customer's latest pre-sales inquiry in the preceding
    window.

    Crediting each order once, to one inquiry, keeps conversion value from counting an order twice
    when a customer asked twice before buying; after-sales contacts earn no credit.
    """
    conversations = conversations.filter(
        conversations.customer_id.notnull(), is_inquiry(conversations.intent, targets)
    )
    c = conversations.select(
        cid=conversations.id,
        cust=conversations.customer_id,
        tc=seconds_of(conversations.created_at, engine),
    )
    o = orders.filter(orders.status == "paid").select(
        oid=orders.id,
        ocust=orders.customer_id,
        to=seconds_of(orders.ordered_at, engine),
        cents=(orders.amount.cast("float64") * 100).round().cast("int64"),
    )
    pairs = c.join(o, [c.cust == o.ocust, o.to >= c.tc, o.to < c.tc + window_s])
    latest = ibis.window(group_by=pairs.oid, order_by=[ibis.desc(pairs.tc), ibis.desc(pairs.cid)])
    ranked = pairs.mutate(r=ibis.row_number().over(latest))
    first = ranked.filter(ranked.r == 0)
    return first.group_by(ocid=first.cid).aggregate(
        orders_n=first.oid.count(), value_cents=first.cents.sum()
    )


def month_of(day: ibis.Value, window: Window) -> ibis.Value:
    """yyyymm of a day number (days since 1970-01-01) inside the window.

    One CASE over the window's month boundaries: portable to every engine, unlike each engine's
    own date functions, and shallow, unlike civil-from-days arithmetic that Ibis would inline
    past SQLite's parser depth.
    """
    epoch = date(1970, 1, 1)
    first = window.start_day.replace(day=1)
    months: list[tuple[int, int]] = []  # (first day number of the next month, this month's key)
    cursor = first
    while cursor <= window.end_day:
        nxt = (cursor + timedelta(days=32)).replace(day=1)
        months.append(((nxt - epoch).days, cursor.year * 100 + cursor.month))
        cursor = nxt
    *head, (_, last) = months
    if not head:
        return ibis.literal(last, "int64")
    return ibis.cases(*((day < bound, key) for bound, key in head), else_=last)


def conversation_facts(
    engine: Engine,
    window: Window,
    targets: Targets,
    *,
    stats: Table | None = None,
    links: bool | None = None,
) -> Table:
    """One row per conversation created in the window, with everything the catalogue counts.

    ``stats`` may be a materialised :func:`message_stats` (a snapshot ships one) instead of
    windows over every message; ``links`` is :func:`uses_links`, when the caller knows it.
    """
    ws = window.workspace_id
    lo, hi = epoch_bound(window.start), epoch_bound(window.end)
    conv_all = engine.table("conversations")
    conv_all = conv_all.filter(conv_all.workspace_id == ws)
    conv = conv_all.filter(conv_all.created_at >= lo, conv_all.created_at < hi)

    if stats is None and engine.has_stats:
        stats = engine.table("conversation_stats")
    if stats is None:
        msgs = engine.table("messages")
        msgs = msgs.filter(msgs.workspace_id == ws, msgs.created_at >= lo)
        msgs = msgs.filter(msgs.conversation_id.isin(conv.id))
        stats = message_stats(msgs, engine.name)
    else:
        stats = stats.filter(stats.cid.isin(conv.id))

    window_s = targets.conversion_window_h * 3600
    # inquiries on both sides of the window compete for its orders, so an order is credited
    # to the same inquiry whichever period is asked about (never to two periods)
    inquiries = conv_all.filter(
        conv_all.created_at >= epoch_bound(window.start - window_s),
        conv_all.created_at < epoch_bound(window.end + window_s),
    )
    orders = engine.table("orders")
    orders = orders.filter(
        orders.workspace_id == ws,
        orders.ordered_at >= lo,
        orders.ordered_at < epoch_bound(window.end + window_s),
    )
    if links is None:
        links = uses_links(engine, ws, targets)
    if links:
        credit = linked_orders(conv, orders, targets)
    else:
        credit = attributed_orders(inquiries, orders, window_s, targets, engine.name)

    channels = engine.table("channels").select(ch_id="id", ch_kind="kind", ch_platform="platform")
    customers = engine.table("customers")
    customers = customers.filter(customers.workspace_id == ws).select(
        cu_id=customers.id, cu_tier=customers.tier
    )

    # one projection, one chain of joins, one projection: every extra layer is a nested
    # subquery, and SQLite's parser has a fixed depth
    tc = seconds_of(conv.created_at, engine.name)
    local = tc + window.utc_offset
    base = conv.select(
        *PASSED_THROUGH,
        intent_key=conv.intent.fill_null(""),
        inquiry=(conv.customer_id.notnull() & is_inquiry(conv.intent, targets)).ifelse(1, 0),
        t_created=tc,
        local_day=local // DAY_S,
        local_s=local % DAY_S,
        tf=seconds_of(conv.first_response_at, engine.name),
        tr=seconds_of(conv.resolved_at, engine.name),
        bot=conv.handled_by_bot.ifelse(1, 0),
    )
    j = (
        base.left_join(stats, base.id == stats.cid)
        .left_join(credit, base.id == credit.ocid)
        .left_join(channels, base.channel_id == channels.ch_id)
        .left_join(customers, base.customer_id == customers.cu_id)
    )
    known = j.timing_known
    hour = j.local_s // 3600
    return j.select(
        *PASSED_THROUGH,
        "intent_key",
        "inquiry",
        "t_created",
        "bot",
        day=j.local_day,
        month=month_of(j.local_day, window),
        week=j.local_day - (j.local_day + 3) % 7,
        hour=hour,
        received=j.tf.notnull().ifelse(1, 0),
        missed=(j.tf.isnull() & ~j.status.isin(("open", "pending"))).ifelse(1, 0),
        frt=ibis.cases((known & j.tf.notnull(), j.tf - j.t_created)),
        resolved=j.tr.notnull().ifelse(1, 0),
        resolution_s=ibis.cases((known & j.tr.notnull(), j.tr - j.t_created)),
        replies=j.replies.fill_null(0),
        timed_replies=ibis.cases((known, j.replies.fill_null(0)), else_=0),
        wait_sum=ibis.cases((known, j.wait_sum)),
        wait_sumsq=ibis.cases((known, j.wait_sumsq)),
        agent_frt=ibis.cases((known, j.agent_frt)),
        has_agent=j.has_agent.fill_null(0),
        consulted=j.consulted.fill_null(0),
        orders_n=j.orders_n.fill_null(0),
        value_cents=j.value_cents.fill_null(0),
        tier=j.cu_tier.fill_null("none"),
        platform=j.ch_platform.fill_null(""),
        channel_kind=j.ch_kind,
        after_hours=(
            ~((hour >= targets.business_start_h) & (hour < targets.business_end_h))
        ).ifelse(1, 0),
    )
