"""Simulated worlds in throwaway SQLite files, small enough to build in seconds.

``signal_world`` is built once for the package and shared by the read-only tests; it sits next to
another workspace so that scoping and id reservation are exercised too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .helpers import SIGNAL_SIZES, Sim, build


@pytest.fixture(scope="package")
def signal_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    path = tmp_path_factory.mktemp("signals") / "world.db"
    sim = build(path, neighbour=True, ground_truth_path=path.with_suffix(".json"), **SIGNAL_SIZES)
    yield sim
    sim.db.dispose()
