"""The same seed builds the same world; another seed builds another one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import Sim, build

SMALL: dict[str, Any] = {"days": 14, "customers": 800, "conversations": 4000, "agents": 12}
# every column except secrets and the outbox's wall-clock timestamps
HASHED = {
    "users": "email, name, role_id, locale, is_active, created_at",
    "skill_groups": "name, description, created_at",
    "channels": "kind, name, platform, created_at",
    "products": "sku, name, price, product_line_id",
    "customers": "*",
    "customer_external_ids": "*",
    "customer_tags": "*",
    "conversations": "*",
    "messages": "*",
    "conversation_labels": "*",
    "orders": "*",
    "daily_sales": "*",
}


def digest(sim: Sim) -> dict[str, str]:
    out = {}
    for table, columns in HASHED.items():
        rows = sim.rows(f"SELECT {columns} FROM {table} WHERE workspace_id = :ws ORDER BY id")
        out[table] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sim, Sim, Sim]:
    base = tmp_path_factory.mktemp("determinism")
    a = build(base / "a.db", seed=42, ground_truth_path=base / "a.json", **SMALL)
    b = build(base / "b.db", seed=42, ground_truth_path=base / "b.json", **SMALL)
    c = build(base / "c.db", seed=43, **SMALL)
    return a, b, c


def test_same_seed_same_rows(twins: tuple[Sim, Sim, Sim]) -> None:
    a, b, _ = twins
    assert a.result.counts == b.result.counts
    assert digest(a) == digest(b)
    assert a.result.ground_truth == b.result.ground_truth
    assert a.result.logins == b.result.logins


def test_ground_truth_file_is_the_returned_document(twins: tuple[Sim, Sim, Sim]) -> None:
    a, b, _ = twins
    on_disk = json.loads(Path(a.path.with_suffix(".json")).read_text())
    assert on_disk == json.loads(json.dumps(a.result.ground_truth))
    assert (
        Path(a.path.with_suffix(".json")).read_bytes() == b.path.with_suffix(".json").read_bytes()
    )


def test_other_seed_other_rows(twins: tuple[Sim, Sim, Sim]) -> None:
    a, _, c = twins
    da, dc = digest(a), digest(c)
    for table in ("customers", "conversations", "messages", "orders", "daily_sales"):
        assert da[table] != dc[table], table
    assert a.result.ground_truth["signals"] != c.result.ground_truth["signals"]
