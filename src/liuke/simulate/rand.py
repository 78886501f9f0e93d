"""Fast, seeded randomness for the simulation (the stdlib's exact integer draws are too slow)."""

from __future__ import annotations

import bisect
import math
import random
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

T = TypeVar("T")


class FastRandom(random.Random):
    """``random.Random`` whose integer draws scale one ``random()`` instead of the stdlib's exact
    rejection sampling: about five times faster, which matters at millions of draws. Uniform to
    within float resolution (good enough for a simulation; not for spans near 2**53). Seeded
    and reproducible like its parent, for a given Python version."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        if step != 1 or stop <= start:
            return super().randrange(start, stop, step)
        return start + int(self.random() * (stop - start))

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        return seq[int(self.random() * len(seq))]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw from ``rng`` (Knuth below 30, a rounded normal above)."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def cumulative(weights: tuple[float, ...] | list[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def pick_index(rng: random.Random, cum: list[float]) -> int:
    """A weighted draw over cumulative weights ``cum``."""
    return draw(cum, rng.random())


def draw(cum: list[float], u: float) -> int:
    """The index whose cumulative weight first exceeds ``u`` in [0, 1) of the total."""
    return min(bisect.bisect_right(cum, u * cum[-1]), len(cum) - 1)
