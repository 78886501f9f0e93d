"""Analytics for one workspace: which engine, which window, which targets; scorecards.

The transport layers (API, pages, CLI) call these; they never build Ibis expressions themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import liuke.analytics.messages  # noqa: F401  (the labels translate() looks up)
from liuke.analytics.catalogue import BY_NAME, OVERVIEW, Metric
from liuke.analytics.compare import p_value
from liuke.analytics.diagnosis import (
    SCOPES,
    Finding,
    benjamini_hochberg,
    diagnose,
    peer_pool,
    rest_of,
)
from liuke.analytics.engines import (
    ENGINES,
    Engine,
    connect_database,
    connect_duckdb,
)
from liuke.analytics.facts import Targets
from liuke.analytics.funnel import FunnelResult, funnel
from liuke.analytics.query import FactsCache, Query, Result, metric_value, run
from liuke.core.config import Settings
from liuke.core.errors import BadRequest
from liuke.core.i18n import translate
from liuke.workspaces.models import Workspace

T = TypeVar("T")
FDR_SCORECARD = 0.05
DEFAULT_DAYS = 30


class ResultCache:
    """Recent figures per (source, workspace, question), kept ``ttl_s`` seconds.

    A dashboard asks the same questions on every load and the answers move slowly; computing
    them once a minute instead of once a view keeps the operational database free for the
    service itself. Figures are at most ``ttl_s`` old; ``ttl_s = 0`` turns the cache off. One
    cache per app (``app.state``), so nothing is shared between processes or tests.
    """

    def __init__(self, ttl_s: float = 60.0, max_entries: int = 256, clock: Any = None) -> None:
        import threading
        import time

        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._items: dict[Hashable, tuple[float, Any]] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.ttl_s <= 0:
            return compute()
        now = self._clock()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self.ttl_s:
                return cast(T, hit[1])
        value = compute()  # outside the lock: a slow query must not block other workspaces
        with self._lock:
            if len(self._items) >= self.max_entries:
                oldest = min(self._items, key=lambda k: self._items[k][0])
                del self._items[oldest]
            self._items[key] = (self._clock(), value)
        return value


NO_CACHE = ResultCache(ttl_s=0)
SCORECARD = (
    "receptions",
    "agent_first_response_time",
    "average_response_time",
    "resolution_time",
    "one_touch_resolution_rate",
    "transfers_per_conversation",
    "conversion_rate",
    "conversion_value",
    "sla_average_response",
)


@dataclass(frozen=True)
class Context:
    """What a workspace's analytics needs besides the data: its clock and its targets."""

    workspace_id: int
    tz: str
    targets: Targets

    @property
    def scope(self) -> dict[str, Any]:
        """The keyword arguments every catalogue function takes for this workspace."""
        return {"workspace_id": self.workspace_id, "tz": self.tz, "targets": self.targets}

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.tz)).date()

    def default_range(self, start: date | None, end: date | None) -> tuple[date, date]:
        """Missing ends default to the 30 full days up to yesterday (the workspace's calendar):
        a half-finished today would read as a fall on every trend."""
        yesterday = self.today() - timedelta(days=1)
        end = end or (start + timedelta(days=DEFAULT_DAYS - 1) if start else yesterday)
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        return start, end


def context(s: Session, workspace_id: int) -> Context:
    ws = s.get(Workspace, workspace_id)
    if ws is None:
        raise BadRequest(detail="unknown workspace")
    return Context(workspace_id, ws.timezone, Targets.from_settings(ws.settings or {}))


@contextmanager
def open_engine(settings: Settings, name: str = "database") -> Iterator[Engine]:
    """The engine a request asked for. Spark is for the CLI and batch jobs, not web requests."""
    if name not in ENGINES:
        raise BadRequest(detail=f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    if name == "pyspark":
        raise BadRequest(
            detail="Spark runs from `liuke analytics` on a snapshot, not in a web request"
        )
    if name == "duckdb":
        if settings.analytics_snapshot_dir is None:
            raise BadRequest(detail="no snapshot folder configured (LIUKE_ANALYTICS_SNAPSHOT_DIR)")
        engine = connect_duckdb(Path(settings.analytics_snapshot_dir))
    else:
        engine = connect_database(settings.database_url)
    try:
        yield engine
    finally:
        engine.backend.disconnect()


def _key(engine: Engine, *parts: Hashable) -> tuple[Hashable, ...]:
    return (engine.name, engine.source, *parts)


def query(
    engine: Engine,
    ctx: Context,
    q: Query,
    unassigned: str = "Unassigned",
    cache: ResultCache = NO_CACHE,
) -> Result:
    result = cache.get_or_compute(
        _key(engine, "query", ctx, q), lambda: run(engine, q, **ctx.scope)
    )
    return _labelled(result, unassigned)


def overview_query(
    start: date, end: date, filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
) -> Query:
    """The overview page's question (its cache key too): the overview metrics by day."""
    return Query(start, end, OVERVIEW, "day", filters)


def _labelled(result: Result, unassigned: str) -> Result:
    """``result`` with the unassigned row named in the caller's language.

    Cached figures are the same in every language; only this label differs, so it is applied
    after the cache (a copy: cached results are shared) instead of being part of the key.
    """
    rows = [replace(r, label=unassigned) if r.key is None else r for r in result.rows]
    return replace(result, rows=rows)


def unassigned_label(locale: str) -> str:
    return translate("analytics.unassigned", locale)


def overview_and_findings(
    engine: Engine,
    ctx: Context,
    q: Query,
    unassigned: str = "Unassigned",
    cache: ResultCache = NO_CACHE,
) -> tuple[Result, list[Finding]]:
    """The overview page's figures and its diagnosis from one computation of the facts."""

    def compute() -> tuple[Result, list[Finding]]:
        facts = FactsCache(engine, ctx.targets)
        try:
            result = run(engine, q, **ctx.scope, facts=facts)
            findings = diagnose(
                engine,
                q.start,
                q.end,
                **ctx.scope,
                filters=q.filters,
                facts=facts,
            )
            return result, findings
        finally:
            facts.release()

    result, findings = cache.get_or_compute(_key(engine, "overview+findings", ctx, q), compute)
    return _labelled(result, unassigned), findings


def warm_overviews(settings: Settings, db: Any, cache: ResultCache, limit: int = 20) -> int:
    """Compute the default overview of each workspace into ``cache`` (the default range), so the first manager to open the dashboard does not wait for it."""
    from sqlalchemy import select

    done = 0
    with db.session() as s:
        ids = list(s.scalars(select(Workspace.id).order_by(Workspace.id).limit(limit)))
        contexts = [context(s, ws_id) for ws_id in ids]
    for ctx in contexts:
        start, end = ctx.default_range(None, None)
        with open_engine(settings) as engine:
            overview_and_findings(engine, ctx, overview_query(start, end), cache=cache)
        done += 1
    return done


def funnel_of(
    engine: Engine,
    ctx: Context,
    q: Query,
    unassigned: str = "Unassigned",
    cache: ResultCache = NO_CACHE,
) -> FunnelResult:
    result = cache.get_or_compute(
        _key(engine, "funnel", ctx, q), lambda: funnel(engine, q, **ctx.scope)
    )
    return replace(
        result,
        sides=[replace(s, label=unassigned) if s.key is None else s for s in result.sides],
    )


def diagnosis_of(
    engine: Engine,
    ctx: Context,
    start: date,
    end: date,
    filters: tuple[tuple[str, tuple[str, ...]], ...] = (),
    cache: ResultCache = NO_CACHE,
) -> list[Finding]:
    return cache.get_or_compute(
        _key(engine, "diagnosis", ctx, start, end, filters),
        lambda: diagnose(
            engine,
            start,
            end,
            **ctx.scope,
            filters=filters,
        ),
    )


@dataclass
class ScoreCell:
    value: float | None
    team: float | None  # the rest of the team
    p_value: float | None
    verdict: str  # better | worse | flat | n/a


@dataclass
class Scorecard:
    agent_id: int
    name: str
    cells: dict[str, ScoreCell] = field(default_factory=dict)
    attention: list[str] = field(default_factory=list)  # metrics significantly worse than team


def _verdict(
    metric: Metric, value: float | None, team: float | None, p: float | None, cutoff: float
) -> str:
    if value is None or team is None or p is None:
        return "n/a"
    if p > cutoff or value == team:
        return "flat"
    return "better" if (value > team) == (metric.good == "up") else "worse"


def scorecards(
    engine: Engine,
    ctx: Context,
    start: date,
    end: date,
    filters: tuple[tuple[str, tuple[str, ...]], ...] = (),
    cache: ResultCache = NO_CACHE,
    scope: str = "live",
) -> list[Scorecard]:
    """Per agent: the scorecard metrics, each tested against the rest of the team.

    One channel scope at a time (chat by default), as the diagnosis does: otherwise whoever
    handles email looks slow. "team" is the rest of the team: its rate or mean, and for counts
    and sums its average per agent. A cell is "worse" only under a 5 % false-discovery rate
    over the whole table, so a big team does not get red cells by chance.
    """
    if scope not in SCOPES and scope != "all":
        raise BadRequest(detail=f"unknown scope {scope!r}; known: {', '.join(SCOPES)}, all")
    if scope != "all":
        filters = (("channel_kind", SCOPES[scope]), *filters)
    q = Query(start, end, SCORECARD, "agent", filters, compare=False)
    result = query(engine, ctx, q, cache=cache)
    rows = {r.key: r.parts for r in result.rows if r.key is not None}
    pool = peer_pool(rows)
    peers = max(len(rows) - 1, 1)
    cards: list[Scorecard] = []
    tested: list[tuple[Scorecard, str, float]] = []
    for row in result.rows:
        if row.key is None:
            continue
        card = Scorecard(int(row.key), row.label)
        for name in SCORECARD:
            metric = BY_NAME[name]
            parts = row.parts.get(name, {})
            rest: dict[str, float | None] = dict(rest_of(parts, pool.get(name, {})))
            team = metric_value(metric, rest)
            p = None
            if metric.kind in ("count", "sum"):
                team = None if team is None else round(team / peers, 6)
            else:
                p = p_value(metric, parts, rest)
            card.cells[name] = ScoreCell(row.values[name], team, p, "n/a")
            if p is not None:
                tested.append((card, name, p))
        cards.append(card)
    cutoff = benjamini_hochberg([p for *_, p in tested], FDR_SCORECARD) if tested else 0.0
    for card, name, p in tested:
        cell = card.cells[name]
        cell.verdict = _verdict(BY_NAME[name], cell.value, cell.team, p, cutoff)
        cell.p_value = round(p, 6)
        if cell.verdict == "worse":
            card.attention.append(name)
    cards.sort(key=lambda c: (-len(c.attention), c.name))
    return cards


def parse_filters(params: dict[str, list[Any]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Request parameters -> query filters (empty lists are no filter)."""
    names = {
        "channel_id": "channel",
        "skill_group_id": "skill_group",
        "agent_id": "agent",
        "product_line_id": "product_line",
        "channel_kind": "channel_kind",
        "platform": "platform",
        "tier": "tier",
        "intent": "intent",
        "hour": "hour",
    }
    out = []
    for param, dim in names.items():
        values = [str(v) for v in params.get(param) or [] if str(v) != ""]
        if values:
            out.append((dim, tuple(values)))
    return tuple(out)


def csv_metrics(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return default
    return tuple(v.strip() for v in value.split(",") if v.strip())


def labels(locale: str) -> dict[str, Any]:
    """Metric labels for templates and exports."""
    return {m.name: m.label(locale) for m in BY_NAME.values()}
