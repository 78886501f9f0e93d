"""The metric catalogue at scale: the overview dashboard on DuckDB, PostgreSQL and pandas.

Prints figures; asserts no timings (it does check that the engines return the same figures).

    .venv/bin/python bench/analytics.py                                  # 1M and 10M conversations
    .venv/bin/python bench/analytics.py --sizes 100000 --pg-conversations 100000   # quick
    .venv/bin/python bench/analytics.py --sizes 10000000 --skip-pg --keep --out /tmp/snap

For each size a synthetic snapshot folder is written with vectorised numpy/pyarrow, in chunks of
``--chunk`` conversations so memory stays bounded: one workspace, ``--span-days`` (400) days of
conversations ending ``--end``, about 10 messages each (customer first, then staff and customer
taking turns with some double messages; bot replies in 1-5 s, agents in seconds to minutes,
customers in tens of seconds; the bot hands about 40 % of its conversations to an agent; 1.5 %
system notices), 40 agents, 8 channels, 6 product lines, a customer for every 10 conversations
(skewed: a few customers ask often), routing intents of which 38 % make a pre-sales inquiry,
0.3 orders per conversation of which about a third follow a conversation (mostly an inquiry) by
the same customer within hours, 3 % abandoned conversations. Orders carry no source conversation
unless ``--order-links``, so ``attribution="auto"`` credits them by the 72 h window (the heavier
path). Timestamps are naive UTC at whole seconds. ``conversation_stats.parquet`` is then
materialised by DuckDB running ``liuke.analytics.facts.message_stats`` over the messages file,
as a snapshot does: that step is timed on its own (it is what taking a snapshot costs).

"The overview dashboard" is every catalogue metric (``BY_NAME``) for the last ``--days`` (30)
days, as two ``query.run`` calls with ``compare=False``: one broken down by day, one by agent
(each also computes the total). One more call, by agent with ``compare=True``, adds the previous
period's breakdown, the previous period's and last year's totals and the significance tests.
Each is repeated ``--repeat`` times; the table shows the median and the first (coldest) run.

Engines, in one process:

- **duckdb**: ``connect_duckdb`` over the snapshot folder (materialised message stats);
- **duckdb, live stats**: the same, windowing the messages on every query instead
  (``--skip-live`` leaves it out);
- **postgres**: a throwaway database ``--pg-db`` on 127.0.0.1:5432 (user postgres), loaded with
  ``COPY`` from the same Parquet files (messages get a short text body, as the real table has),
  with the indexes the migrations create, then ``VACUUM ANALYZE``; queried through
  ``connect_database``, which windows the messages live as the web pages do. Loading 100 M
  messages takes long, so PostgreSQL runs at ``min(size, --pg-conversations)`` (1 M by default;
  a capped size gets its own snapshot, also measured on DuckDB so the ratio compares like with
  like). The database is dropped at the end.
- **pandas**: the same metrics written directly in pandas over the same Parquet files (the needed
  columns, the window pushed down into the Parquet read, the materialised stats joined in,
  orders credited with ``merge_asof`` as ``attributed_orders`` does), per request like the
  engines; the read share is printed separately.

Every engine's figures (totals and each day and agent row, all metrics) are compared with
DuckDB's. Peak RSS is this process's high-water mark during that engine's phase (reset through
``/proc/self/clear_refs``); PostgreSQL's own server memory is not in it.

Targets (from the issue): under 2 s for the overview on DuckDB at 10 M conversations, and at
least 10x faster than pandas.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from liuke.analytics.catalogue import BY_NAME, Metric
from liuke.analytics.compare import compare as compare_metric
from liuke.analytics.engines import STATS, TABLES, Engine, connect_database, connect_duckdb
from liuke.analytics.facts import DAY_S, DONE, Targets, Window, message_stats
from liuke.analytics.query import EPOCH, FactsCache, Query, Result, metric_value, run

WS = 1
ALL_METRICS = tuple(BY_NAME)
KEY_METRICS = ("contacts", "receptions", "reply_rate", "first_response_time")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SENDERS = ("customer", "agent", "bot", "system")
CUSTOMER, AGENT, BOT, SYSTEM = 0, 1, 2, 3
STATUSES = ("resolved", "closed", "pending", "open", "abandoned")
STATUS_P = (0.74, 0.18, 0.045, 0.035)  # of the conversations that are not abandoned
ABANDONED = 0.03
N_AGENTS = 40
CHANNELS = (  # id, kind, name, platform, share of contacts
    (1, "web", "官网在线客服", "web", 0.14),
    (2, "api", "淘宝旗舰店", "taobao", 0.26),
    (3, "api", "京东自营店", "jd", 0.22),
    (4, "api", "拼多多店", "pinduoduo", 0.12),
    (5, "api", "抖音小店", "douyin", 0.10),
    (6, "web", "微信公众号", "wechat", 0.08),
    (7, "email", "客服邮箱", "email", 0.03),
    (8, "phone", "400 热线", "phone", 0.05),
)
PRODUCT_LINES = (
    ("kitchen", "厨房电器"),
    ("cleaning", "清洁电器"),
    ("air", "空气与净水"),
    ("personal", "个护健康"),
    ("smart", "智能家居"),
    ("parts", "配件耗材"),
)
SKILL_GROUPS = ("售前咨询", "售后服务", "物流查询", "退换货", "VIP 专席")
# routing intents and their shares; pre_sales and trade_in (and no intent) make an inquiry
INTENTS = {
    "pre_sales": 0.25,
    "trade_in": 0.03,
    "logistics": 0.18,
    "refund": 0.10,
    "exchange": 0.06,
    "invoice": 0.04,
    "warranty": 0.05,
    "complaint": 0.04,
    "installation": 0.05,
    "payment": 0.04,
    "account": 0.03,
    "other": 0.03,
    None: 0.10,
}
INQUIRY_INTENTS = (0, 1, len(INTENTS) - 1)  # indexes into INTENTS
BODIES = (
    "你好，我上周买的电饭煲一直没有发货，能帮我查一下物流吗？",
    "您好，已为您查询，包裹预计明天下午送达，请留意电话。",
    "收到的商品外包装破损，要求换货。",
    "请问这款空气净化器的滤芯多久需要更换一次？",
    "好的谢谢，那我等你们电话。",
    "根据您的描述，建议先恢复出厂设置，如果仍然无法开机，我们安排上门维修。",
    "Hi, I was charged twice for my order, please refund one of them.",
    "会话已转接至人工客服。",
)
# contacts by local hour of day (Asia/Shanghai): quiet at night, peaks mid-morning and evening
HOUR_W = np.array(
    [3, 2, 1, 1, 1, 1, 2, 4, 7, 9, 10, 9, 7, 8, 9, 9, 8, 7, 7, 8, 9, 9, 7, 5], dtype=np.float64
)
HOUR_P = HOUR_W / HOUR_W.sum()
# message gaps (seconds) by (previous sender, this sender): log-normal median, sigma, clip range
GAP_CLASSES = {
    "customer>bot": (2.0, 0.4, 1, 5),
    "customer>agent": (25.0, 1.0, 2, 1800),
    "customer>customer": (12.0, 0.7, 2, 120),
    "staff>customer": (45.0, 0.9, 3, 3600),
    "bot>agent": (60.0, 1.0, 5, 1800),  # the queue after the bot's hand-off
    "staff>staff": (10.0, 0.6, 1, 120),
    "system": (2.0, 0.5, 1, 10),
}


# --- measuring ----------------------------------------------------------------------------------


def reset_peak() -> None:
    """Restart this process's RSS high-water mark (Linux: write 5 to /proc/self/clear_refs)."""
    gc.collect()
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.glob("*.parquet")) / 2**20


@contextmanager
def step(label: str) -> Iterator[list[float]]:
    """Print a label, time the block, print the seconds; the list receives them."""
    print(f"  {label} ...", end="", flush=True)
    box: list[float] = []
    t0 = time.perf_counter()
    yield box
    box.append(time.perf_counter() - t0)
    print(f" {box[0]:.2f} s", flush=True)


# --- synthetic snapshot -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    conversations: int
    span_days: int
    end_day: date  # the last local day with contacts; the dashboard window ends here
    seed: int
    chunk: int
    order_links: bool = False  # fill orders.source_conversation_id (attribution by link)
    tz_offset_s: int = 8 * 3600  # Asia/Shanghai, no DST

    @property
    def customers(self) -> int:
        return max(1000, self.conversations // 10)

    @property
    def orders(self) -> int:
        return round(self.conversations * 0.3)

    @property
    def first_day(self) -> int:
        """Days since 1970-01-01 of the first local day with contacts."""
        return (self.end_day - EPOCH).days - self.span_days + 1


def ts_array(secs: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Epoch seconds as naive UTC microsecond timestamps (``null`` marks missing values)."""
    values = (secs.astype(np.int64) * 1_000_000).astype("datetime64[us]")
    return pa.array(values, type=pa.timestamp("us"), mask=null)


def id_array(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=null)


def labels(names: tuple[str | None, ...], codes: np.ndarray) -> pa.Array:
    """Strings by index into ``names`` (a None entry makes nulls), built by Arrow, not Python."""
    return pc.take(pa.array(names, type=pa.string()), pa.array(codes.astype(np.int32)))


def cents_to_decimal(cents: np.ndarray) -> pa.Array:
    """Whole cents as NUMERIC(14, 2) yuan: a decimal128 with scale 2 stores the value times 100,
    so the (non-negative) cents are its low 64 bits and zero its high ones."""
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    return pa.Array.from_buffers(
        pa.decimal128(14, 2), len(cents), [None, pa.py_buffer(words.tobytes())]
    )


def customer_ids(rng: np.random.Generator, n: int, customers: int) -> np.ndarray:
    """Skewed: density falls as 1/sqrt(id), so the busiest customers ask a few hundred times."""
    return (customers * rng.random(n) ** 2).astype(np.int64) + 1


def gap_seconds(rng: np.random.Generator, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Seconds since the previous message, by who sent it and who sends this one."""
    staff_prev = (prev == AGENT) | (prev == BOT)
    cls = np.full(len(cur), -1, dtype=np.int8)
    conds = {
        "customer>bot": (prev == CUSTOMER) & (cur == BOT),
        "customer>agent": (prev == CUSTOMER) & (cur == AGENT),
        "customer>customer": (prev == CUSTOMER) & (cur == CUSTOMER),
        "staff>customer": staff_prev & (cur == CUSTOMER),
        "bot>agent": (prev == BOT) & (cur == AGENT),
        "staff>staff": staff_prev & ((cur == AGENT) | (cur == BOT)),
        "system": (prev == SYSTEM) | (cur == SYSTEM),
    }
    params = np.zeros((len(GAP_CLASSES), 4))
    for i, (name, (median, sigma, lo, hi)) in enumerate(GAP_CLASSES.items()):
        cls[conds[name] & (cls == -1)] = i  # first matching class wins
        params[i] = (math.log(median), sigma, lo, hi)
    first = cls == -1  # the first message of a conversation (prev is -1)
    cls[first] = 0
    p = params[cls]
    gaps = np.clip(np.exp(p[:, 0] + p[:, 1] * rng.standard_normal(len(cur))), p[:, 2], p[:, 3])
    gaps = np.rint(gaps).astype(np.int64)
    gaps[first] = 0
    return gaps


@dataclass
class Chunk:
    conversations: pa.Table
    messages: pa.Table
    orders: tuple[np.ndarray, ...]  # customer, at, cents, status, source conversation (-1)


def make_chunk(rng: np.random.Generator, spec: Spec, lo: int, hi: int, msg_base: int) -> Chunk:
    """Conversations ``lo + 1 .. hi`` (ids in time order), their messages and their orders."""
    n = hi - lo
    total = spec.conversations
    d0 = lo * spec.span_days // total
    d1 = max(d0 + 1, -(-hi * spec.span_days // total))
    day = rng.integers(d0, d1, n) + spec.first_day
    hour = rng.choice(24, n, p=HOUR_P)
    local = day * DAY_S + hour * 3600 + rng.integers(0, 3600, n)
    tc = np.sort(local - spec.tz_offset_s)
    ids = np.arange(lo + 1, hi + 1, dtype=np.int64)

    abandoned = rng.random(n) < ABANDONED
    bot = ~abandoned & (rng.random(n) < 0.45)
    k = np.where(abandoned, rng.integers(1, 4, n), 1 + rng.poisson(9.25, n)).clip(1, 60)
    handoff = np.where(
        bot & (rng.random(n) < 0.4), rng.integers(2, np.maximum(k, 3)), np.iinfo(np.int64).max
    )

    # messages: conversation index, position, sender
    m = int(k.sum())
    starts = np.cumsum(k) - k
    conv = np.repeat(np.arange(n), k)
    pos = np.arange(m) - np.repeat(starts, k)
    staff = ((pos % 2) == 1) ^ ((pos >= 1) & (rng.random(m) < 0.12))
    staff &= (pos > 0) & ~abandoned[conv]
    by_bot = bot[conv] & (pos < handoff[conv])
    sender = np.where(staff, np.where(by_bot, BOT, AGENT), CUSTOMER).astype(np.int8)
    sender[(pos >= 1) & (rng.random(m) < 0.015)] = SYSTEM
    prev = np.empty_like(sender)
    prev[1:] = sender[:-1]
    prev[pos == 0] = -1
    cum = np.cumsum(gap_seconds(rng, prev, sender))
    t = tc[conv] + cum - np.repeat(cum[starts], k)

    answered_at = np.minimum.reduceat(
        np.where((sender == AGENT) | (sender == BOT), t, np.iinfo(np.int64).max), starts
    )
    no_reply = answered_at == np.iinfo(np.int64).max
    has_agent = np.maximum.reduceat((sender == AGENT).astype(np.int8), starts) == 1
    last_at = t[starts + k - 1]

    status = np.where(abandoned, 4, rng.choice(4, n, p=STATUS_P))
    resolved = status == 0
    resolved_at = last_at + rng.integers(0, 900, n)
    agent_w = rng.gamma(4.0, 1.0, N_AGENTS)
    assignee = rng.choice(N_AGENTS, n, p=agent_w / agent_w.sum()) + 1
    transfers = np.where(has_agent, rng.choice(3, n, p=(0.86, 0.11, 0.03)), 0)
    ch_p = np.array([c[4] for c in CHANNELS])
    channel = rng.choice(len(CHANNELS), n, p=ch_p / ch_p.sum()) + 1
    anonymous = rng.random(n) < 0.08
    customer = customer_ids(rng, n, spec.customers)
    skill = rng.integers(1, len(SKILL_GROUPS) + 1, n)
    product = rng.integers(1, len(PRODUCT_LINES) + 1, n)
    intent_p = np.array(list(INTENTS.values()))
    intent = rng.choice(len(INTENTS), n, p=intent_p / intent_p.sum())
    inquiry = np.isin(intent, INQUIRY_INTENTS)

    conversations = pa.table(
        {
            "id": id_array(ids),
            "workspace_id": id_array(np.full(n, WS)),
            "channel_id": id_array(channel),
            "customer_id": id_array(customer, anonymous),
            "assignee_id": id_array(assignee, ~has_agent),
            "skill_group_id": id_array(skill, ~has_agent),
            "product_line_id": id_array(product, rng.random(n) < 0.05),
            "status": labels(STATUSES, status),
            "created_at": ts_array(tc),
            "first_response_at": ts_array(answered_at, no_reply),
            "resolved_at": ts_array(resolved_at, ~resolved),
            "transfer_count": pa.array(transfers.astype(np.int32)),
            "handled_by_bot": pa.array(bot),
            "intent": labels(tuple(INTENTS), intent),
            "timing_known": pa.array(rng.random(n) < 0.98),
        }
    )
    messages = pa.table(
        {
            "id": id_array(np.arange(msg_base + 1, msg_base + m + 1)),
            "workspace_id": id_array(np.full(m, WS)),
            "conversation_id": id_array(ids[conv]),
            "seq": pa.array((pos + 1).astype(np.int32)),
            "sender_type": labels(SENDERS, sender),
            "sender_user_id": id_array(assignee[conv], sender != AGENT),
            "created_at": ts_array(t),
        }
    )

    # orders: some follow a conversation by the same customer within hours (mostly pre-sales
    # inquiries), the rest at random times; only those carry their source conversation
    linked = ~anonymous & ~abandoned & (rng.random(n) < np.where(inquiry, 0.25, 0.03))
    n_linked = int(linked.sum())
    n_random = max(0, round(n * 0.3) - n_linked)
    o_source = np.concatenate([ids[linked], np.full(n_random, -1, dtype=np.int64)])
    o_cust = np.concatenate([customer[linked], customer_ids(rng, n_random, spec.customers)])
    o_at = np.concatenate(
        [
            tc[linked] + rng.exponential(14 * 3600, n_linked).astype(np.int64),
            rng.integers(tc.min(), tc.max() + 1, n_random),
        ]
    )
    o_cents = np.rint(rng.lognormal(math.log(15_000), 0.9, len(o_at))).astype(np.int64) + 100
    o_status = rng.choice(3, len(o_at), p=(0.9, 0.06, 0.04))
    return Chunk(conversations, messages, (o_cust, o_at, o_cents, o_status, o_source))


def small_tables(spec: Spec) -> dict[str, pa.Table]:
    c = spec.customers
    tier = np.where(np.random.default_rng(spec.seed + 1).random(c) < 0.05, 0, 1)
    users = [f"客服{i:02d}" for i in range(1, N_AGENTS + 1)] + ["组长甲", "管理员"]
    return {
        "channels": pa.table(
            {
                "id": pa.array([ch[0] for ch in CHANNELS], pa.int64()),
                "workspace_id": pa.array([WS] * len(CHANNELS), pa.int64()),
                "kind": [ch[1] for ch in CHANNELS],
                "name": [ch[2] for ch in CHANNELS],
                "platform": [ch[3] for ch in CHANNELS],
            }
        ),
        "customers": pa.table(
            {
                "id": id_array(np.arange(1, c + 1)),
                "workspace_id": id_array(np.full(c, WS)),
                "tier": labels(("key_account", "ordinary"), tier),
            }
        ),
        "users": pa.table(
            {
                "id": pa.array(range(1, len(users) + 1), pa.int64()),
                "workspace_id": pa.array([WS] * len(users), pa.int64()),
                "name": users,
            }
        ),
        "skill_groups": pa.table(
            {
                "id": pa.array(range(1, len(SKILL_GROUPS) + 1), pa.int64()),
                "workspace_id": pa.array([WS] * len(SKILL_GROUPS), pa.int64()),
                "name": list(SKILL_GROUPS),
            }
        ),
        "product_lines": pa.table(
            {
                "id": pa.array(range(1, len(PRODUCT_LINES) + 1), pa.int64()),
                "workspace_id": pa.array([WS] * len(PRODUCT_LINES), pa.int64()),
                "code": [p[0] for p in PRODUCT_LINES],
                "name": [p[1] for p in PRODUCT_LINES],
            }
        ),
    }


def generate(spec: Spec, out: Path) -> dict[str, int]:
    """Write every table in TABLES under ``out``; returns the row counts."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seed)
    rows: dict[str, int] = {}
    for name, table in small_tables(spec).items():
        pq.write_table(table, out / f"{name}.parquet")
        rows[name] = table.num_rows
    conv_w: pq.ParquetWriter | None = None
    msg_w: pq.ParquetWriter | None = None
    orders: list[tuple[np.ndarray, ...]] = []
    n_msg = 0
    try:
        for lo in range(0, spec.conversations, spec.chunk):
            hi = min(spec.conversations, lo + spec.chunk)
            chunk = make_chunk(rng, spec, lo, hi, n_msg)
            if conv_w is None or msg_w is None:
                conv_w = pq.ParquetWriter(out / "conversations.parquet", chunk.conversations.schema)
                msg_w = pq.ParquetWriter(out / "messages.parquet", chunk.messages.schema)
            conv_w.write_table(chunk.conversations, row_group_size=500_000)
            msg_w.write_table(chunk.messages, row_group_size=1_000_000)
            n_msg += chunk.messages.num_rows
            orders.append(chunk.orders)
            del chunk
    finally:
        if conv_w is not None:
            conv_w.close()
        if msg_w is not None:
            msg_w.close()
    rows["conversations"] = spec.conversations
    rows["messages"] = n_msg
    o_cust, o_at, o_cents, o_status, o_source = (
        np.concatenate(parts) for parts in zip(*orders, strict=True)
    )
    order = np.argsort(o_at, kind="stable")
    n_orders = len(order)
    source = o_source[order]
    pq.write_table(
        pa.table(
            {
                "id": id_array(np.arange(1, n_orders + 1)),
                "workspace_id": id_array(np.full(n_orders, WS)),
                "customer_id": id_array(o_cust[order]),
                "amount": cents_to_decimal(o_cents[order]),
                "status": labels(("paid", "refunded", "cancelled"), o_status[order]),
                "ordered_at": ts_array(o_at[order]),
                "source_conversation_id": id_array(source, (source < 0) | (not spec.order_links)),
            }
        ),
        out / "orders.parquet",
        row_group_size=1_000_000,
    )
    rows["orders"] = n_orders
    return rows


def materialise_stats(folder: Path) -> int:
    """``conversation_stats.parquet`` by DuckDB over the messages file, as a snapshot writes it."""
    engine = connect_duckdb(folder)
    try:
        stats = message_stats(engine.table("messages"), engine.name)
        tmp = folder / f"{STATS}.parquet.tmp"
        stats.to_parquet(tmp)
        tmp.replace(folder / f"{STATS}.parquet")
    finally:
        engine.backend.disconnect()
    return pq.ParquetFile(folder / f"{STATS}.parquet").metadata.num_rows


# --- PostgreSQL ---------------------------------------------------------------------------------

PG_DDL = (
    """CREATE TABLE channels (id bigint PRIMARY KEY, workspace_id bigint NOT NULL,
        kind varchar(16) NOT NULL, name varchar(100) NOT NULL, platform varchar(64) NOT NULL)""",
    """CREATE TABLE customers (id bigint PRIMARY KEY, workspace_id bigint NOT NULL,
        tier varchar(32) NOT NULL)""",
    """CREATE TABLE users (id bigint PRIMARY KEY, workspace_id bigint NOT NULL,
        name varchar(100) NOT NULL)""",
    """CREATE TABLE skill_groups (id bigint PRIMARY KEY, workspace_id bigint NOT NULL,
        name varchar(100) NOT NULL)""",
    """CREATE TABLE product_lines (id bigint PRIMARY KEY, workspace_id bigint NOT NULL,
        code varchar(64) NOT NULL, name varchar(200) NOT NULL)""",
    """CREATE TABLE conversations (id bigint NOT NULL, workspace_id bigint NOT NULL,
        channel_id bigint NOT NULL, customer_id bigint, assignee_id bigint, skill_group_id bigint,
        product_line_id bigint, status varchar(16) NOT NULL, created_at timestamptz NOT NULL,
        first_response_at timestamptz, resolved_at timestamptz, transfer_count integer NOT NULL,
        handled_by_bot boolean NOT NULL, intent varchar(64), timing_known boolean NOT NULL)""",
    """CREATE TABLE messages (id bigint NOT NULL, workspace_id bigint NOT NULL,
        conversation_id bigint NOT NULL, seq integer NOT NULL, sender_type varchar(16) NOT NULL,
        sender_user_id bigint, created_at timestamptz NOT NULL, body text NOT NULL)""",
    """CREATE TABLE orders (id bigint NOT NULL, workspace_id bigint NOT NULL,
        customer_id bigint NOT NULL, amount numeric(14, 2) NOT NULL, status varchar(16) NOT NULL,
        ordered_at timestamptz NOT NULL, source_conversation_id bigint)""",
)
# the keys and indexes the migrations create on these tables (built after the load)
PG_INDEXES = (
    "ALTER TABLE conversations ADD PRIMARY KEY (id)",
    "CREATE INDEX ix_conv_ws_created ON conversations (workspace_id, created_at)",
    "CREATE INDEX ix_conv_ws_assignee ON conversations (workspace_id, assignee_id)",
    "CREATE INDEX ix_conv_ws_customer ON conversations (workspace_id, customer_id)",
    "CREATE INDEX ix_conv_ws_status ON conversations (workspace_id, status)",
    "CREATE INDEX ix_conv_ws_intent ON conversations (workspace_id, intent)",
    "CREATE INDEX ix_conversations_workspace_id ON conversations (workspace_id)",
    "CREATE INDEX ix_conversations_skill_group_id ON conversations (skill_group_id)",
    "CREATE INDEX ix_conversations_product_line_id ON conversations (product_line_id)",
    "ALTER TABLE messages ADD PRIMARY KEY (id)",
    "ALTER TABLE messages ADD CONSTRAINT uq_messages_conversation_id_seq "
    "UNIQUE (conversation_id, seq)",
    "CREATE INDEX ix_messages_ws_created ON messages (workspace_id, created_at)",
    "CREATE INDEX ix_messages_workspace_id ON messages (workspace_id)",
    "ALTER TABLE orders ADD PRIMARY KEY (id)",
    "CREATE INDEX ix_orders_ws_time ON orders (workspace_id, ordered_at)",
    "CREATE INDEX ix_orders_ws_customer_time ON orders (workspace_id, customer_id, ordered_at)",
    "CREATE INDEX ix_orders_workspace_id ON orders (workspace_id)",
    "CREATE INDEX ix_orders_source_conversation_id ON orders (source_conversation_id)",
    "CREATE INDEX ix_customers_ws_tier ON customers (workspace_id, tier)",
)


def pg_url(admin: str, db: str) -> str:
    return admin.rsplit("/", 1)[0] + "/" + db


def pg_create(admin: str, db: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
        conn.execute(f'CREATE DATABASE "{db}"')


def pg_drop(admin: str, db: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def pg_load(folder: Path, url: str) -> dict[str, float]:
    """COPY every table from its Parquet file (CSV made by Arrow), then indexes and ANALYZE."""
    seconds: dict[str, float] = {}
    bodies = pa.array(BODIES)
    with psycopg.connect(url) as conn:
        conn.execute("SET TimeZone = 'UTC'")  # the files' naive timestamps are UTC
        for ddl in PG_DDL:
            conn.execute(ddl)
        t0 = time.perf_counter()
        for name, columns in TABLES.items():
            cols = list(columns) + (["body"] if name == "messages" else [])
            source = pq.ParquetFile(folder / f"{name}.parquet")
            with conn.cursor().copy(
                f"COPY {name} ({', '.join(cols)}) FROM STDIN (FORMAT csv)"
            ) as copy:
                for batch in source.iter_batches(batch_size=250_000, columns=list(columns)):
                    if name == "messages":
                        pick = pc.cast(pc.bit_wise_and(batch.column("id"), 7), pa.int32())
                        batch = pa.RecordBatch.from_arrays(
                            [*batch.columns, pc.take(bodies, pick)], names=cols
                        )
                    sink = pa.BufferOutputStream()
                    pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=False))
                    copy.write(sink.getvalue().to_pybytes())
        conn.commit()
        seconds["copy"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for ddl in PG_INDEXES:
            conn.execute(ddl)
        conn.commit()
        seconds["indexes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    seconds["vacuum analyze"] = time.perf_counter() - t0
    return seconds


# --- the dashboard through the catalogue --------------------------------------------------------


@dataclass
class Figures:
    """One engine's answer to the dashboard, keyed for comparison."""

    total: dict[str, float | None]
    rows: dict[tuple[str, Any], dict[str, float | None]]


@dataclass
class Timing:
    runs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else math.nan

    @property
    def first(self) -> float:
        return self.runs[0] if self.runs else math.nan


@dataclass
class Measured:
    size: int
    engine: str
    overview: Timing
    with_compare: Timing
    peak_mib: float
    figures: Figures | None
    note: str = ""


def figures_of(by_day: Result, by_agent: Result) -> Figures:
    rows = {("day", r.key): r.values for r in by_day.rows}
    rows.update({("agent", r.key): r.values for r in by_agent.rows})
    return Figures(by_day.total.values, rows)


def time_engine(
    engine: Engine, start: date, end: date, repeat: int
) -> tuple[Timing, Timing, Figures]:
    def query(by: str, compare: bool) -> Query:
        return Query(start, end, metrics=ALL_METRICS, by=by, compare=compare)

    overview, with_compare = Timing(), Timing()
    figures: Figures | None = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        facts = FactsCache(engine, Targets())  # one dashboard: its breakdowns share the facts
        try:
            by_day = run(engine, query("day", False), workspace_id=WS, facts=facts)
            by_agent = run(engine, query("agent", False), workspace_id=WS, facts=facts)
        finally:
            facts.release()
        overview.runs.append(time.perf_counter() - t0)
        figures = figures or figures_of(by_day, by_agent)
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(engine, query("agent", True), workspace_id=WS)
        with_compare.runs.append(time.perf_counter() - t0)
    assert figures is not None
    return overview, with_compare, figures


# --- the same dashboard in pandas ---------------------------------------------------------------

Parts = dict[str, float | None]


@dataclass
class ReadClock:
    seconds: float = 0.0


def naive(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def epoch_s(col: pa.ChunkedArray) -> np.ndarray:
    """Whole epoch seconds, truncated like ``facts.seconds_of``; NaN for nulls."""
    us = pc.cast(pc.cast(col, pa.timestamp("us")), pa.int64())
    values = us.to_numpy(zero_copy_only=False).astype(np.float64)
    return np.floor(values / 1_000_000)


def int_or(col: pa.ChunkedArray, missing: int) -> np.ndarray:
    return pc.fill_null(col, missing).to_numpy(zero_copy_only=False).astype(np.int64)


def pandas_facts(folder: Path, window: Window, targets: Targets, clock: ReadClock) -> pd.DataFrame:
    """``conversation_facts`` in pandas: one row per conversation created in the window."""
    ws = window.workspace_id
    window_s = targets.conversion_window_h * 3600
    t0 = time.perf_counter()
    conv = pq.read_table(
        folder / "conversations.parquet",
        columns=[
            "id",
            "customer_id",
            "assignee_id",
            "status",
            "created_at",
            "first_response_at",
            "resolved_at",
            "transfer_count",
            "handled_by_bot",
            "intent",
            "timing_known",
        ],
        filters=[
            ("workspace_id", "=", ws),
            ("created_at", ">=", naive(window.start - window_s)),
            ("created_at", "<", naive(window.end + window_s)),
        ],
    )
    stats = pq.read_table(folder / f"{STATS}.parquet").to_pandas()
    orders = pq.read_table(
        folder / "orders.parquet",
        columns=["id", "customer_id", "amount", "status", "ordered_at", "source_conversation_id"],
        filters=[
            ("workspace_id", "=", ws),
            ("ordered_at", ">=", naive(window.start)),
            ("ordered_at", "<", naive(window.end + window_s)),
        ],
    )
    clock.seconds += time.perf_counter() - t0

    ids = conv.column("id").to_numpy()
    cust = int_or(conv.column("customer_id"), -1)
    tc = epoch_s(conv.column("created_at")).astype(np.int64)

    intent = conv.column("intent").to_numpy(zero_copy_only=False)
    presales = pd.Series(intent).fillna("").isin((*targets.presales_intents, "")).to_numpy()
    inside = (tc >= window.start) & (tc < window.end)  # later inquiries compete for orders
    source = int_or(orders.column("source_conversation_id"), -1)
    paid = orders.column("status").to_numpy(zero_copy_only=False) == "paid"
    amount = pc.cast(orders.column("amount"), pa.float64()).to_numpy()
    cents = np.round(amount * 100).astype(np.int64)
    links = targets.attribution == "link" or (
        targets.attribution == "auto" and bool((source >= 0).any())
    )
    if links:  # each paid order credited to the inquiry the order feed names
        inquiry_ids = ids[inside & presales & (cust >= 0)]
        keep = paid & (source >= 0) & np.isin(source, inquiry_ids)
        pairs = pd.DataFrame({"cid": source[keep], "cents": cents[keep]})
    else:  # each paid order credited to its customer's latest inquiry before it, in the window
        asked = (cust >= 0) & presales
        inquiries = pd.DataFrame(
            {"cid": ids[asked], "cust": cust[asked], "tc": tc[asked]}
        ).sort_values(["tc", "cid"], kind="stable")
        bought = pd.DataFrame(
            {
                "ocust": orders.column("customer_id").to_numpy()[paid],
                "to": epoch_s(orders.column("ordered_at")).astype(np.int64)[paid],
                "cents": cents[paid],
            }
        ).sort_values("to", kind="stable")
        pairs = pd.merge_asof(
            bought, inquiries, left_on="to", right_on="tc", left_by="ocust", right_by="cust"
        )
        pairs = pairs[pairs["tc"].notna() & (pairs["to"] < pairs["tc"] + window_s)]
    credit = pairs.groupby("cid").agg(orders_n=("cents", "size"), value_cents=("cents", "sum"))

    f = pd.DataFrame(
        {
            "id": ids[inside],
            "customer_id": cust[inside],
            "assignee_id": int_or(conv.column("assignee_id"), -1)[inside],
            "status": conv.column("status").to_numpy(zero_copy_only=False)[inside],
            "tc": tc[inside],
            "tf": epoch_s(conv.column("first_response_at"))[inside],
            "tr": epoch_s(conv.column("resolved_at"))[inside],
            "transfer_count": conv.column("transfer_count").to_numpy()[inside].astype(np.int64),
            "bot": conv.column("handled_by_bot").to_numpy(zero_copy_only=False)[inside],
            "known": conv.column("timing_known").to_numpy(zero_copy_only=False)[inside],
            "presales": presales[inside],
        }
    )
    f = f.merge(stats, left_on="id", right_on="cid", how="left")
    f = f.merge(credit, left_on="id", right_index=True, how="left")

    known = f["known"].to_numpy(dtype=bool)
    tf, tr = f["tf"].to_numpy(), f["tr"].to_numpy()
    local = f["tc"].to_numpy() + window.utc_offset
    hour = (local % DAY_S) // 3600
    received = ~np.isnan(tf)
    resolved = ~np.isnan(tr)
    replies = f["replies"].fillna(0).to_numpy()
    timed = np.where(known, replies, 0)
    wait_sum = np.where(known, f["wait_sum"].to_numpy(dtype=np.float64), np.nan)
    has_agent = f["has_agent"].fillna(0).to_numpy()
    orders_n = f["orders_n"].fillna(0).to_numpy()
    bot = f["bot"].to_numpy(dtype=bool)
    done = f["status"].isin(DONE).to_numpy()
    frt = np.where(known & received, tf - f["tc"].to_numpy(), np.nan)
    transfers = f["transfer_count"].to_numpy()
    with np.errstate(invalid="ignore"):
        sla_avg = (timed > 0) & (wait_sum <= timed * targets.average_response_s)
        sla_first = frt <= targets.first_response_s
    return pd.DataFrame(
        {
            "day": local // DAY_S,
            "agent": f["assignee_id"].to_numpy(),
            "received": received.astype(np.int64),
            "missed": (~received & ~f["status"].isin(("open", "pending")).to_numpy()).astype(
                np.int64
            ),
            "after_hours": (
                ~((hour >= targets.business_start_h) & (hour < targets.business_end_h))
            ).astype(np.int64),
            "frt": frt,
            "agent_frt": np.where(known, f["agent_frt"].to_numpy(dtype=np.float64), np.nan),
            "resolution_s": np.where(known & resolved, tr - f["tc"].to_numpy(), np.nan),
            "wait_sum": wait_sum,
            "wait_sumsq": np.where(known, f["wait_sumsq"].to_numpy(dtype=np.float64), np.nan),
            "timed_replies": timed,
            "has_timed": (timed > 0).astype(np.int64),
            "resolved": resolved.astype(np.int64),
            "transfer_count": transfers,
            "one_touch": (resolved & (transfers == 0)).astype(np.int64),
            "bot": bot.astype(np.int64),
            "bot_answer": (bot & (has_agent == 0) & done).astype(np.int64),
            "bot_handoff": (bot & (has_agent == 1)).astype(np.int64),
            "converted": (orders_n > 0).astype(np.int64),
            "inquiry": ((f["customer_id"].to_numpy() >= 0) & f["presales"].to_numpy()).astype(
                np.int64
            ),
            "orders_n": orders_n,
            "value_cents": f["value_cents"].fillna(0).to_numpy(),
            "sla_first": sla_first.astype(np.int64),
            "sla_avg": sla_avg.astype(np.int64),
        }
    )


SUMMED = (
    "received",
    "missed",
    "after_hours",
    "wait_sum",
    "wait_sumsq",
    "timed_replies",
    "has_timed",
    "resolved",
    "transfer_count",
    "one_touch",
    "bot",
    "bot_answer",
    "bot_handoff",
    "converted",
    "inquiry",
    "orders_n",
    "value_cents",
    "sla_first",
    "sla_avg",
)
MEANS = {"first_response_time": "frt", "agent_first_response_time": "agent_frt"}
MEANS["resolution_time"] = "resolution_s"
QUANTILES = {
    "first_response_time_median": ("frt", 0.5),
    "first_response_time_p90": ("frt", 0.9),
    "resolution_time_median": ("resolution_s", 0.5),
}
FRACTIONS = {  # metric: (numerator, denominator) columns; "n" is the row count
    "missed_rate": ("missed", "n"),
    "reply_rate": ("received", "n"),
    "transfers_per_conversation": ("transfer_count", "received"),
    "one_touch_resolution_rate": ("one_touch", "resolved"),
    "bot_answer_rate": ("bot_answer", "bot"),
    "bot_handoff_rate": ("bot_handoff", "bot"),
    "conversion_rate": ("converted", "inquiry"),
    "sla_first_response": ("sla_first", "frt_n"),
    "sla_average_response": ("sla_avg", "has_timed"),
}
COUNTS = {
    "contacts": "n",
    "receptions": "received",
    "missed_receptions": "missed",
    "after_hours_contacts": "after_hours",
    "resolutions": "resolved",
    "converted_orders": "orders_n",
    "conversion_value": "value_cents",
}
PANDAS_METRICS = {*MEANS, *QUANTILES, *FRACTIONS, *COUNTS, "average_response_time"}


def nearest_rank(f: pd.DataFrame, key: str, col: str, q: float) -> dict[Any, float]:
    """The smallest value with at least ``q`` of a group's values at or below it."""
    v = f[[key, col]].dropna().sort_values([key, col], kind="stable")
    rank = v.groupby(key).cumcount().to_numpy()
    count = v.groupby(key)[col].transform("size").to_numpy()
    want = np.maximum(np.ceil(count * q).astype(np.int64) - 1, 0)
    picked = v[rank == want]
    return dict(zip(picked[key].tolist(), picked[col].tolist(), strict=True))


def pandas_parts(f: pd.DataFrame, key: str | None) -> dict[Any, dict[str, Parts]]:
    """Every metric's parts per key, in the catalogue's shape (so ``metric_value`` applies)."""
    f = f.assign(_key=f[key] if key else 0)
    g = f.groupby("_key", sort=False)
    sums = g[list(SUMMED)].sum()
    sums["n"] = g.size()
    for col in ("frt", "agent_frt", "resolution_s"):
        sums[f"{col}_sum"] = g[col].sum()
        sums[f"{col}_n"] = g[col].count()
        sums[f"{col}_sq"] = (f[col] * f[col]).groupby(f["_key"]).sum()
    quantiles = {m: nearest_rank(f, "_key", col, q) for m, (col, q) in QUANTILES.items()}
    out: dict[Any, dict[str, Parts]] = {}
    for k, rec in sums.to_dict("index").items():
        parts: dict[str, Parts] = {}
        for metric, col in COUNTS.items():
            parts[metric] = {"n": float(rec[col])}
        for metric, (num, den) in FRACTIONS.items():
            parts[metric] = {"num": float(rec[num]), "den": float(rec[den])}
        for metric, col in MEANS.items():
            parts[metric] = {
                "sum": float(rec[f"{col}_sum"]),
                "sumsq": float(rec[f"{col}_sq"]),
                "n": float(rec[f"{col}_n"]),
            }
        parts["average_response_time"] = {
            "sum": float(rec["wait_sum"]),
            "sumsq": float(rec["wait_sumsq"]),
            "n": float(rec["timed_replies"]),
        }
        for metric, values in quantiles.items():
            parts[metric] = {"v": values.get(k)}
        out[None if key == "agent" and k == -1 else int(k)] = parts
    return out


def values_of(parts: dict[str, Parts], metrics: list[Metric]) -> dict[str, float | None]:
    return {m.name: metric_value(m, parts.get(m.name, {})) for m in metrics}


def pandas_run(
    folder: Path, start: date, end: date, by: str, compare: bool, clock: ReadClock
) -> tuple[dict[str, float | None], dict[Any, dict[str, float | None]]]:
    """One dashboard request in pandas, as ``query.run`` answers it (facts once per window)."""
    metrics = [BY_NAME[m] for m in ALL_METRICS if m in PANDAS_METRICS]
    targets = Targets()
    window = Window(WS, start, end)
    facts = pandas_facts(folder, window, targets, clock)
    total = pandas_parts(facts, None).get(0, {})
    grouped = pandas_parts(facts, by)
    if by == "day":
        keys: list[Any] = [(start - EPOCH).days + i for i in range(window.days)]
    else:
        keys = list(grouped)
    rows = {k: values_of(grouped.get(k, {}), metrics) for k in keys}
    if compare:
        previous = pandas_facts(folder, window.previous(), targets, clock)
        last_year = pandas_facts(folder, window.last_year(), targets, clock)
        refs = [pandas_parts(previous, None).get(0, {}), pandas_parts(last_year, None).get(0, {})]
        prev_rows = pandas_parts(previous, by) if by != "day" else {}
        pairs = [(total, ref) for ref in refs] + [
            (grouped.get(k, {}), prev_rows.get(k, {})) for k in keys if by != "day"
        ]
        for cur, ref in pairs:
            for m in metrics:
                compare_metric(
                    m,
                    metric_value(m, cur.get(m.name, {})),
                    metric_value(m, ref.get(m.name, {})),
                    cur.get(m.name, {}),
                    ref.get(m.name, {}),
                )
    return values_of(total, metrics), rows


def time_pandas(
    folder: Path, start: date, end: date, repeat: int
) -> tuple[Timing, Timing, Figures, float]:
    overview, with_compare = Timing(), Timing()
    clock = ReadClock()
    figures: Figures | None = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        total, by_day = pandas_run(folder, start, end, "day", False, clock)
        _, by_agent = pandas_run(folder, start, end, "agent", False, clock)
        overview.runs.append(time.perf_counter() - t0)
        rows = {("day", k): v for k, v in by_day.items()}
        rows.update({("agent", k): v for k, v in by_agent.items()})
        figures = figures or Figures(total, rows)
    read_share = clock.seconds / sum(overview.runs)
    for _ in range(repeat):
        t0 = time.perf_counter()
        pandas_run(folder, start, end, "agent", True, clock)
        with_compare.runs.append(time.perf_counter() - t0)
    assert figures is not None
    return overview, with_compare, figures, read_share


# --- agreement ----------------------------------------------------------------------------------


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def agreement(ref: Figures, other: Figures) -> tuple[int, list[str]]:
    """How many figures were compared, and a description of each that differs."""
    checked, diffs = 0, []
    for metric in ALL_METRICS:
        if metric not in other.total:
            continue
        checked += 1
        if not same(ref.total.get(metric), other.total[metric]):
            diffs.append(f"total {metric}: {ref.total.get(metric)} vs {other.total[metric]}")
    for key in sorted(set(ref.rows) | set(other.rows), key=str):
        a, b = ref.rows.get(key), other.rows.get(key)
        if a is None or b is None:
            diffs.append(f"row {key} only in {'the other engine' if a is None else 'duckdb'}")
            continue
        for metric, value in b.items():
            checked += 1
            if not same(a.get(metric), value):
                diffs.append(f"{key[0]} {key[1]} {metric}: {a.get(metric)} vs {value}")
    return checked, diffs


def print_agreement(size: int, name: str, ref: Figures, other: Figures) -> None:
    checked, diffs = agreement(ref, other)
    keys = ", ".join(
        f"{m} {ref.total.get(m)} vs {other.total.get(m)}" for m in KEY_METRICS if m in other.total
    )
    verdict = "agree" if not diffs else f"{len(diffs)} DIFFER"
    print(f"  agreement {size:,} duckdb vs {name}: {checked:,} figures, {verdict}; totals: {keys}")
    for line in diffs[:10]:
        print(f"    {line}")


# --- main ---------------------------------------------------------------------------------------


def disk_check(out: Path, sizes: list[int], force: bool) -> None:
    """About 180 bytes of Parquet per conversation (with its ten messages), twice for safety."""
    out.mkdir(parents=True, exist_ok=True)
    need = sum(sizes) * 180 * 2
    free = shutil.disk_usage(out).free
    print(f"disk: {free / 2**30:.1f} GiB free under {out}, about {need / 2**30:.1f} GiB needed")
    if free < need and not force:
        raise SystemExit("not enough free disk for the snapshots (pass --force to try anyway)")


def fmt_s(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def print_table(results: list[Measured]) -> None:
    duck = {r.size: r for r in results if r.engine == "duckdb"}
    head = (
        f"{'size':>12} {'engine':<20} {'overview s':>10} {'first s':>8} {'vs duckdb':>9} "
        f"{'compare s':>9} {'vs duckdb':>9} {'peak RSS MiB':>12}"
    )
    print("\n" + head)
    print("-" * len(head))
    for r in results:
        base = duck.get(r.size)
        ratio = r.overview.median / base.overview.median if base else math.nan
        cratio = r.with_compare.median / base.with_compare.median if base else math.nan
        print(
            f"{r.size:>12,} {r.engine:<20} {fmt_s(r.overview.median):>10} "
            f"{fmt_s(r.overview.first):>8} {ratio:>8.1f}x {fmt_s(r.with_compare.median):>9} "
            f"{cratio:>8.1f}x {r.peak_mib:>12,.0f}" + (f"  {r.note}" if r.note else "")
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000", help="conversation counts")
    ap.add_argument("--days", type=int, default=30, help="dashboard window (days)")
    ap.add_argument("--span-days", type=int, default=400, help="days of synthetic history")
    ap.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 30))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=1_000_000, help="conversations per write")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--out", type=Path, default=None, help="snapshot folders (default: /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the snapshot folders")
    ap.add_argument("--reuse", action="store_true", help="reuse complete folders under --out")
    ap.add_argument("--force", action="store_true", help="write even if disk looks short")
    ap.add_argument(
        "--order-links",
        action="store_true",
        help="orders name their source conversation (credit by link, not by the 72 h window)",
    )
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--skip-live", action="store_true", help="no DuckDB run without stats")
    ap.add_argument("--pg-conversations", type=int, default=1_000_000)
    ap.add_argument("--pg-admin", default=PG_ADMIN, help="server URL (its maintenance db)")
    ap.add_argument("--pg-db", default="liuke_bench_analytics")
    args = ap.parse_args()
    # a background job ignores SIGINT: let SIGTERM unwind too, so the database is dropped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    pg_sizes = sorted({min(s, args.pg_conversations) for s in sizes}) if not args.skip_pg else []
    all_sizes = sorted(set(sizes) | set(pg_sizes))
    created = args.out is None
    out: Path = args.out or Path(tempfile.mkdtemp(prefix="liuke-bench-analytics-", dir="/tmp"))
    end = args.end
    start = end - timedelta(days=args.days - 1)
    print(
        f"liuke analytics bench: sizes {', '.join(f'{s:,}' for s in all_sizes)}; "
        f"window {start}..{end} ({args.days} days) of {args.span_days} days of history; "
        f"{len(ALL_METRICS)} metrics; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}"
    )
    missing = [m for m in ALL_METRICS if m not in PANDAS_METRICS]
    if missing and not args.skip_pandas:
        print(f"note: the pandas baseline lacks {', '.join(missing)} (left out of its checks)")
    disk_check(out, all_sizes, args.force)

    results: list[Measured] = []
    setup: list[str] = []
    try:
        for size in all_sizes:
            folder = out / f"c{size}"
            spec = Spec(
                size, args.span_days, end, args.seed, min(args.chunk, size), args.order_links
            )
            print(f"\n{size:,} conversations -> {folder}")
            complete = all((folder / f"{n}.parquet").exists() for n in (*TABLES, STATS))
            if args.reuse and complete:
                print("  reusing the snapshot already there")
                gen_s = stats_s = math.nan
            else:
                if folder.exists():
                    shutil.rmtree(folder)
                reset_peak()
                with step("generate Parquet") as box:
                    rows = generate(spec, folder)
                gen_s = box[0]
                print(
                    "    "
                    + ", ".join(f"{k} {v:,}" for k, v in rows.items() if v > 100)
                    + f"; peak RSS {peak_mib():,.0f} MiB"
                )
                reset_peak()
                with step("materialise conversation_stats (DuckDB, message_stats)") as box:
                    n_stats = materialise_stats(folder)
                stats_s = box[0]
                print(f"    {n_stats:,} rows; peak RSS {peak_mib():,.0f} MiB")
            setup.append(
                f"{size:>12,}  generate {fmt_s(gen_s)} s, stats {fmt_s(stats_s)} s, "
                f"{folder_mib(folder):,.0f} MiB of Parquet"
            )
            primary = size in sizes

            reset_peak()
            with step("duckdb overview") as box:
                engine = connect_duckdb(folder)
                try:
                    ov, cm, duck_fig = time_engine(engine, start, end, args.repeat)
                finally:
                    engine.backend.disconnect()
            results.append(Measured(size, "duckdb", ov, cm, peak_mib(), duck_fig))

            if not args.skip_live:
                reset_peak()
                with step("duckdb overview, stats windowed live") as box:
                    engine = connect_duckdb(folder)
                    engine.has_stats = False
                    try:
                        ov, cm, fig = time_engine(engine, start, end, args.repeat)
                    finally:
                        engine.backend.disconnect()
                results.append(Measured(size, "duckdb, live stats", ov, cm, peak_mib(), fig))
                print_agreement(size, "duckdb live", duck_fig, fig)

            if size in pg_sizes:
                url = pg_url(args.pg_admin, args.pg_db)
                pg_create(args.pg_admin, args.pg_db)
                try:
                    with step("postgres load (COPY, indexes, VACUUM ANALYZE)") as box:
                        load = pg_load(folder, url)
                    parts = ", ".join(f"{k} {v:.1f} s" for k, v in load.items())
                    print(f"    {parts}")
                    setup.append(f"{size:>12,}  postgres load {box[0]:.1f} s ({parts})")
                    reset_peak()
                    with step("postgres overview"):
                        engine = connect_database(url)
                        try:
                            ov, cm, fig = time_engine(engine, start, end, args.repeat)
                        finally:
                            engine.backend.disconnect()
                    results.append(Measured(size, "postgres", ov, cm, peak_mib(), fig, "client"))
                    print_agreement(size, "postgres", duck_fig, fig)
                finally:
                    pg_drop(args.pg_admin, args.pg_db)

            if not args.skip_pandas and primary:
                reset_peak()
                with step("pandas overview"):
                    ov, cm, fig, share = time_pandas(folder, start, end, args.repeat)
                note = f"{share:.0%} reading Parquet"
                results.append(Measured(size, "pandas", ov, cm, peak_mib(), fig, note))
                print_agreement(size, "pandas", duck_fig, fig)
    finally:
        if not args.keep:
            for size in all_sizes:
                shutil.rmtree(out / f"c{size}", ignore_errors=True)
            if created:
                shutil.rmtree(out, ignore_errors=True)

    print("\nsnapshots:")
    for line in setup:
        print(line)
    print_table(results)
    by_engine = {(r.size, r.engine): r for r in results}
    top = max(sizes)
    duck = by_engine.get((top, "duckdb"))
    if duck:
        print(
            f"\ntarget: overview on DuckDB at {top:,} conversations {duck.overview.median:.2f} s "
            f"(target < 2 s)"
        )
        pandas_r = by_engine.get((top, "pandas"))
        if pandas_r:
            speedup = pandas_r.overview.median / duck.overview.median
            print(f"target: pandas / DuckDB = {speedup:.1f}x (target >= 10x)")
    duck_sizes = [r for r in results if r.engine == "duckdb"]
    if len(duck_sizes) > 1:
        a, b = duck_sizes[0], duck_sizes[-1]
        print(
            f"growth: DuckDB {a.size:,} -> {b.size:,} conversations "
            f"({b.size / a.size:.0f}x data): {a.overview.median:.2f} s -> "
            f"{b.overview.median:.2f} s ({b.overview.median / a.overview.median:.1f}x)"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
