"""Login failure limiting, in memory and on the real Redis server."""

from __future__ import annotations

import uuid

import pytest

from liuke.core.ratelimit import (
    FailureLimiter,
    MemoryCounter,
    RedisCounter,
    TooManyAttempts,
    make_counter,
)


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> FailureLimiter:
    if request.param == "memory":
        return FailureLimiter(MemoryCounter(), limit=3, window_s=60)
    url = request.getfixturevalue("redis_url")
    return FailureLimiter(RedisCounter(url, prefix=f"test:{uuid.uuid4().hex}:"), 3, 60)


def test_blocks_after_limit_and_success_clears(limiter: FailureLimiter) -> None:
    key = "login:shop:a@x.cn"
    for _ in range(3):
        limiter.check(key)
        limiter.failed(key)
    with pytest.raises(TooManyAttempts) as exc:
        limiter.check(key)
    assert exc.value.status_code == 429
    assert 0 < exc.value.params["seconds"] <= 60
    limiter.check("login:shop:other@x.cn")  # other keys are unaffected
    limiter.succeeded(key)
    limiter.check(key)


def test_redis_counter_shared_between_clients(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    a = FailureLimiter(RedisCounter(redis_url, prefix=prefix), 2, 60)
    b = FailureLimiter(RedisCounter(redis_url, prefix=prefix), 2, 60)  # a second worker
    a.failed("k")
    b.failed("k")
    with pytest.raises(TooManyAttempts):
        a.check("k")
    a.succeeded("k")


def test_window_expiry_in_memory() -> None:
    counter = MemoryCounter()
    limiter = FailureLimiter(counter, 1, window_s=0)
    limiter.failed("k")
    limiter.check("k")  # a zero-length window has already expired


def test_make_counter_chooses_backend(redis_url: str) -> None:
    assert isinstance(make_counter(None), MemoryCounter)
    assert isinstance(make_counter(redis_url), RedisCounter)
