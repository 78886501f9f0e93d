"""Failure counters for brute-force protection (login), shared across workers through Redis.

Fixed windows are enough here: the goal is to make password guessing slow, not to shape
traffic. Without ``LIUKE_REDIS_URL`` one process keeps the counters in memory.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

import redis

from liuke.core.errors import AppError
from liuke.core.i18n import register_messages

log = logging.getLogger(__name__)


class TooManyAttempts(AppError):
    status_code = 429
    code = "too_many_attempts"
    message_key = "error.too_many_attempts"


register_messages(
    {
        "error.too_many_attempts": {
            "zh_CN": "尝试次数过多，请 {seconds} 秒后再试",
            "en": "Too many attempts; try again in {seconds} s",
        }
    }
)


class Counter(Protocol):
    def get(self, key: str) -> tuple[int, int]:
        """(count in the current window, seconds until it resets)."""

    def incr(self, key: str, window_s: int) -> int: ...

    def reset(self, key: str) -> None: ...


class MemoryCounter:
    def __init__(self) -> None:
        self._data: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[int, int]:
        with self._lock:
            count, until = self._data.get(key, (0, 0.0))
            now = time.monotonic()
            if until <= now:
                self._data.pop(key, None)
                return 0, 0
            return count, int(until - now) + 1

    def incr(self, key: str, window_s: int) -> int:
        with self._lock:
            now = time.monotonic()
            count, until = self._data.get(key, (0, 0.0))
            if until <= now:
                count, until = 0, now + window_s
            self._data[key] = (count + 1, until)
            return count + 1

    def reset(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisCounter:
    """Counters in Redis; if Redis is down, logins still work (fail open) and it is logged."""

    def __init__(self, url: str, prefix: str = "liuke:rl:") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    def get(self, key: str) -> tuple[int, int]:
        k = self._prefix + key
        try:
            pipe = self._redis.pipeline()
            pipe.get(k)
            pipe.ttl(k)
            raw, ttl = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate-limit counter unavailable, not limiting: %s", exc)
            return 0, 0
        return (int(raw) if raw else 0), max(int(ttl), 0)

    def incr(self, key: str, window_s: int) -> int:
        k = self._prefix + key
        try:
            pipe = self._redis.pipeline()
            pipe.incr(k)
            pipe.expire(k, window_s, nx=True)
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate-limit counter unavailable, not counting: %s", exc)
            return 0
        return int(count)

    def reset(self, key: str) -> None:
        try:
            self._redis.delete(self._prefix + key)
        except redis.RedisError as exc:
            log.warning("rate-limit counter unavailable, not reset: %s", exc)


class FailureLimiter:
    """Allow at most ``limit`` failures per key per window; success clears the key."""

    def __init__(self, counter: Counter, limit: int, window_s: int) -> None:
        self.counter, self.limit, self.window_s = counter, limit, window_s

    def check(self, *keys: str) -> None:
        for key in keys:
            count, retry = self.counter.get(key)
            if count >= self.limit:
                raise TooManyAttempts(seconds=retry or self.window_s)

    def failed(self, *keys: str) -> None:
        for key in keys:
            self.counter.incr(key, self.window_s)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self.counter.reset(key)


def make_counter(redis_url: str | None) -> Counter:
    return RedisCounter(redis_url) if redis_url else MemoryCounter()
