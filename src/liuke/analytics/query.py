"""Run catalogue metrics for a window, a breakdown and filters, with period-over-period changes."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis
from ibis import Table

from liuke.analytics.catalogue import (
    BY_NAME,
    DIMENSION_BY_NAME,
    OVERVIEW,
    Dimension,
    Metric,
)
from liuke.analytics.compare import Change, compare
from liuke.analytics.engines import Engine
from liuke.analytics.facts import Targets, Window, conversation_facts, uses_links
from liuke.core.errors import BadRequest

MAX_DAYS = 3 * 366  # a longer range is a mistake, not an analysis
EPOCH = date(1970, 1, 1)
UNASSIGNED = "none"
Parts = dict[str, float | None]


@dataclass(frozen=True)
class Query:
    """What to compute: the window's days, the metrics, one breakdown, filters by dimension."""

    start: date
    end: date
    metrics: tuple[str, ...] = OVERVIEW
    by: str | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    compare: bool = True

    def validate(self) -> None:
        """Refuse what cannot be answered, with a message naming the valid choices."""
        if self.end < self.start:
            raise BadRequest(detail=f"the range ends ({self.end}) before it starts ({self.start})")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise BadRequest(detail=f"the range may span at most {MAX_DAYS} days")
        if not self.metrics:
            raise BadRequest(detail="ask for at least one metric")
        unknown = [m for m in self.metrics if m not in BY_NAME]
        if unknown:
            raise BadRequest(
                detail=f"unknown metric {', '.join(unknown)}; known: {', '.join(sorted(BY_NAME))}"
            )
        dims = [self.by] if self.by else []
        dims += [name for name, _ in self.filters]
        bad = [d for d in dims if d not in DIMENSION_BY_NAME]
        if bad:
            raise BadRequest(
                detail=f"unknown breakdown {', '.join(bad)}; known: {', '.join(DIMENSION_BY_NAME)}"
            )
        for name, values in self.filters:
            dim = DIMENSION_BY_NAME[name]
            if dim.names is not None or dim.time or name == "hour":
                for v in values:
                    if not v.lstrip("-").isdigit():
                        raise BadRequest(detail=f"filter {name} takes numeric ids, not {v!r}")


@dataclass
class Row:
    """One line of a result: a breakdown key (None for the total), its label, metric values."""

    key: Any
    label: str
    values: dict[str, float | None]
    parts: dict[str, Parts] = field(default_factory=dict)
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass
class Result:
    engine: str
    query: Query
    total: Row
    rows: list[Row]
    previous: Row | None = None
    last_year: Row | None = None
    vs_previous: dict[str, Change] = field(default_factory=dict)
    vs_last_year: dict[str, Change] = field(default_factory=dict)


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def metric_value(metric: Metric, parts: Parts) -> float | None:
    """The value a metric's aggregated parts make."""
    if metric.kind in ("count", "sum"):
        n = parts.get("n")
        return round((n or 0.0) * metric.scale, 6)
    if metric.kind in ("proportion", "ratio"):
        num, den = parts.get("num"), parts.get("den")
        return round((num or 0.0) / den, 6) if den else None
    if metric.kind == "mean":
        total, n = parts.get("sum"), parts.get("n")
        return round((total or 0.0) / n, 6) if n else None
    v = parts.get("v")
    return None if v is None else round(v, 6)


def _grouped(facts: Table, column: str | None) -> Table:
    key = facts[column] if column else ibis.literal(0)
    return facts.mutate(key=key)


def aggregate_parts(
    facts: Table, metrics: Sequence[Metric], targets: Targets, column: str | None
) -> dict[Any, dict[str, Parts]]:
    """Every metric's parts per breakdown key, in one query plus one per quantile metric."""
    f = _grouped(facts, column)
    out: dict[Any, dict[str, Parts]] = {}
    exprs: dict[str, ibis.Value] = {}
    for m in metrics:
        if m.parts is not None:
            for part, expr in m.parts(f, targets).items():
                exprs[f"{m.name}__{part}"] = expr
    if exprs:
        frame = f.group_by("key").aggregate(**exprs).execute()
        for rec in frame.to_dict("records"):
            key = as_key(rec["key"])
            slot = out.setdefault(key, {})
            for name, value in rec.items():
                if name == "key":
                    continue
                metric, part = name.split("__")
                slot.setdefault(metric, {})[part] = _clean(value)
    by_column: dict[str, list[Metric]] = {}
    for m in metrics:
        if m.kind == "quantile" and m.column is not None:
            by_column.setdefault(m.column, []).append(m)
    for column, group in by_column.items():
        for key, values in _quantiles(f, column, group).items():
            for name, value in values.items():
                out.setdefault(key, {})[name] = {"v": value}
    return out


def _quantiles(f: Table, column: str, metrics: Sequence[Metric]) -> dict[Any, dict[str, float]]:
    """Nearest-rank quantiles per key: the smallest value with at least q of the values at or
    below it. Defined by ranks, so every engine returns the same stored value, not its own
    interpolation; every quantile of one column comes from one ranking."""
    v = f.select("key", v=f[column])
    v = v.filter(v.v.notnull())
    ranked = v.mutate(
        rn=ibis.row_number().over(ibis.window(group_by=v.key, order_by=[v.v])),
        cnt=v.v.count().over(ibis.window(group_by=v.key)),
    )
    picks = {
        m.name: ranked.rn == ibis.greatest((ranked.cnt * m.q).ceil().cast("int64") - 1, 0)
        for m in metrics
    }
    wanted = ibis.or_(*picks.values())
    picked = ranked.mutate(**{f"is_{n}": c for n, c in picks.items()}).filter(wanted)
    out: dict[Any, dict[str, float]] = {}
    for r in picked.execute().to_dict("records"):
        value = _clean(r["v"])
        for name in picks:
            if r[f"is_{name}"] and value is not None:
                out.setdefault(as_key(r["key"]), {})[name] = value
    return out


def as_key(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else int(value)
    if hasattr(value, "item"):
        return value.item()
    return value


def filtered(facts: Table, filters: Iterable[tuple[str, tuple[str, ...]]]) -> Table:
    for name, values in filters:
        dim = DIMENSION_BY_NAME[name]
        numeric = dim.names is not None or dim.time or name == "hour"
        keys: list[Any] = [int(v) for v in values] if numeric else list(values)
        facts = facts.filter(facts[dim.column].isin(keys))
    return facts


def dimension_labels(engine: Engine, dim: Dimension, workspace_id: int) -> dict[Any, str]:
    """Names for a dimension's ids, read from the same engine as the figures."""
    if dim.names is None:
        return {}
    t = engine.table(dim.names)
    t = t.filter(t.workspace_id == workspace_id).select("id", "name")
    return {int(r["id"]): str(r["name"]) for r in t.execute().to_dict("records")}


def key_label(dim: Dimension, key: Any, names: dict[Any, str], unassigned: str) -> str:
    """What a breakdown row is called: a date, a name from ``names``, or "unassigned"."""
    if dim.time:
        return time_label(dim, key)
    if key is None:
        return unassigned
    return names.get(key, str(key))


def time_label(dim: Dimension, key: Any) -> str:
    if dim.name in ("day", "week"):
        return (EPOCH + timedelta(days=int(key))).isoformat()
    if dim.name == "month":
        return f"{int(key) // 100:04d}-{int(key) % 100:02d}"
    return str(key)


def _time_keys(dim: Dimension, window: Window) -> list[int]:
    """Every bucket of the window, so a day with no contacts shows as zero, not as a gap."""
    days = [(window.start_day - EPOCH).days + i for i in range(window.days)]
    if dim.name == "day":
        return days
    if dim.name == "week":
        return sorted({d - (d + 3) % 7 for d in days})
    months = {(EPOCH + timedelta(days=d)) for d in days}
    return sorted({m.year * 100 + m.month for m in months})


def _row(key: Any, label: str, metrics: Sequence[Metric], parts: dict[str, Parts]) -> Row:
    values = {m.name: metric_value(m, parts.get(m.name, {})) for m in metrics}
    return Row(key, label, values, parts)


Filters = tuple[tuple[str, tuple[str, ...]], ...]


class FactsCache:
    """Each window's facts computed once and kept as a temporary table.

    The facts window over every message; a total, its breakdowns, comparisons and each quantile
    would otherwise recompute them, and a dashboard asks several such queries of one window.
    Temporary tables live on the engine's connection; whoever made the cache releases it.
    """

    def __init__(self, engine: Engine, targets: Targets) -> None:
        self.engine, self.targets = engine, targets
        self._tables: dict[tuple[date, date, Filters], Table] = {}
        self._links: bool | None = None

    def __call__(self, window: Window, filters: Filters = ()) -> Table:
        key = (window.start_day, window.end_day, filters)
        if key not in self._tables:
            if self._links is None:  # a property of the workspace: asked once per cache
                self._links = uses_links(self.engine, window.workspace_id, self.targets)
            facts = conversation_facts(self.engine, window, self.targets, links=self._links)
            self._tables[key] = filtered(facts, filters).cache()
        return self._tables[key]

    def release(self) -> None:
        for table in self._tables.values():
            table.release()
        self._tables.clear()


def _total(facts: Table, targets: Targets, metrics: Sequence[Metric]) -> Row:
    parts = aggregate_parts(facts, metrics, targets, None).get(0, {})
    return _row(None, "", metrics, parts)


def _changes(metrics: Sequence[Metric], cur: Row, ref: Row) -> dict[str, Change]:
    return {
        m.name: compare(
            m,
            cur.values[m.name],
            ref.values[m.name],
            cur.parts.get(m.name, {}),
            ref.parts.get(m.name, {}),
        )
        for m in metrics
    }


def run(
    engine: Engine,
    query: Query,
    *,
    workspace_id: int,
    tz: str = "Asia/Shanghai",
    targets: Targets | None = None,
    unassigned_label: str = "Unassigned",
    facts: FactsCache | None = None,
) -> Result:
    """Compute the query on ``engine``: the total, the breakdown rows, and the comparisons.

    Pass ``facts`` to share computed facts between several queries of the same windows.
    """
    query.validate()
    targets = targets or Targets()
    metrics = [BY_NAME[m] for m in query.metrics]
    window = Window(workspace_id, query.start, query.end, tz)
    cache = facts or FactsCache(engine, targets)
    try:
        return _run(engine, query, cache, window, targets, metrics, unassigned_label)
    finally:
        if facts is None:
            cache.release()


def _run(
    engine: Engine,
    query: Query,
    facts_of: FactsCache,
    window: Window,
    targets: Targets,
    metrics: Sequence[Metric],
    unassigned_label: str,
) -> Result:
    f = query.filters
    total = _total(facts_of(window, f), targets, metrics)
    result = Result(engine.name, query, total, [])

    if query.by:
        dim = DIMENSION_BY_NAME[query.by]
        grouped = aggregate_parts(facts_of(window, f), metrics, targets, dim.column)
        labels = dimension_labels(engine, dim, window.workspace_id)
        keys: list[Any] = _time_keys(dim, window) if dim.time else list(grouped)
        if dim.name == "hour":
            keys = list(range(24))
        for key in keys:
            label = key_label(dim, key, labels, unassigned_label)
            result.rows.append(_row(key, label, metrics, grouped.get(key, {})))
        if not dim.time and dim.name != "hour":
            result.rows.sort(key=lambda r: (r.key is None, str(r.label)))
        if query.compare and not dim.time:
            prev = aggregate_parts(facts_of(window.previous(), f), metrics, targets, dim.column)
            for row in result.rows:
                ref = _row(row.key, row.label, metrics, prev.get(row.key, {}))
                row.changes = _changes(metrics, row, ref)

    if query.compare:
        result.previous = _total(facts_of(window.previous(), f), targets, metrics)
        result.last_year = _total(facts_of(window.last_year(), f), targets, metrics)
        result.vs_previous = _changes(metrics, total, result.previous)
        result.vs_last_year = _changes(metrics, total, result.last_year)
    return result
