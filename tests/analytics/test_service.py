"""The dashboard's result cache: fresh for its TTL, recomputed after, off at zero."""

from __future__ import annotations

from datetime import date

from liuke.analytics.facts import Targets
from liuke.analytics.service import Context, ResultCache, warm_overviews
from liuke.core.config import Settings
from liuke.core.db import Database
from tests.analytics.fixture import build


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_results_are_reused_within_the_ttl_and_recomputed_after() -> None:
    clock = Clock()
    cache = ResultCache(ttl_s=60, clock=clock)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("k", compute) == 1
    clock.now = 59.9
    assert cache.get_or_compute("k", compute) == 1
    assert cache.get_or_compute("other", compute) == 2  # another question is computed
    clock.now = 60.0
    assert cache.get_or_compute("k", compute) == 3


def test_zero_ttl_never_caches_and_the_cache_is_bounded() -> None:
    off = ResultCache(ttl_s=0)
    assert [off.get_or_compute("k", lambda: object()) is not None for _ in range(2)] == [True] * 2
    clock = Clock()
    small = ResultCache(ttl_s=60, max_entries=2, clock=clock)
    for i in range(5):
        clock.now = i
        small.get_or_compute(i, lambda i=i: i)  # type: ignore[misc]
    assert len(small._items) == 2 and set(small._items) == {3, 4}


def test_keys_tell_workspaces_and_targets_apart() -> None:
    a = Context(1, "Asia/Shanghai", Targets())
    b = Context(2, "Asia/Shanghai", Targets())
    c = Context(1, "Asia/Shanghai", Targets(first_response_s=10))
    assert len({a, b, c}) == 3
    assert a.default_range(None, date(2026, 11, 30)) == (date(2026, 11, 1), date(2026, 11, 30))


def test_warming_computes_each_workspaces_default_overview(db: Database) -> None:
    build(db)
    cache = ResultCache(ttl_s=600)
    settings = Settings(database_url=db.url)
    done = warm_overviews(settings, db, cache, limit=3)
    assert done >= 1 and len(cache._items) == done
