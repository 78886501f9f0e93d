"""Quality inspection speed: conversations inspected per second on one core, and per-message
emotion latency for the live anger flag.

Prints figures; asserts no timings (it checks that every conversation got a result).

    .venv/bin/python bench/quality.py                       # trained model if present
    .venv/bin/python bench/quality.py --conversations 5000 --store sqlite

Conversations are made of real JD.com customer-service turns (``../shared/data/jddc_sample``),
20 messages each (customer and agent alternating as in the source, re-timed 5-90 s apart), so
the rules and the emotion model see real Chinese service language. ``--store`` also measures
the full service path (read transcripts from the database, inspect, write inspections and hits
in one transaction per chunk) on SQLite or PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from threadpoolctl import threadpool_limits

from liuke.conversations import service as conv
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.imports.jddc import JddcImporter
from liuke.quality import service
from liuke.quality.customer_emotion import CustomerEmotion, load_negativity_model
from liuke.quality.inspector import inspect_many
from liuke.quality.rules import Msg, RuleSpec, Transcript, default_rules
from liuke.workspaces import service as ws_service

REPO = Path(__file__).resolve().parents[1]
JDDC = REPO.parent / "shared" / "data" / "jddc_sample" / "chat_0.1per.txt"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def one_core() -> None:
    """Pin to one CPU with one OpenMP/BLAS thread: the target is per core.

    The thread pools must shrink too: OpenMP threads spinning on a single pinned core slow the
    gradient-boosted meta model down a hundredfold.
    """
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    threadpool_limits(1)


def real_turns(path: Path) -> list[tuple[str, str]]:
    parsed = JddcImporter().parse(path)
    return [(m.sender, m.body) for c in parsed.conversations for m in c.messages if m.body.strip()]


def synthesise(turns: list[tuple[str, str]], n: int, length: int, seed: int) -> list[Transcript]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        start = rng.randrange(0, len(turns) - length)
        at = T0 + timedelta(minutes=i)
        msgs = []
        for j, (sender, body) in enumerate(turns[start : start + length]):
            at += timedelta(seconds=rng.randint(5, 90))
            msgs.append(Msg(j + 1, sender, body, at, 100 if sender == "agent" else None))
        out.append(Transcript(msgs, status="closed"))
    return out


def bench_inspect(transcripts: list[Transcript], emotion: CustomerEmotion, chunk: int) -> float:
    specs = [RuleSpec(c, k, w, p) for c, k, w, p in default_rules()]
    inspect_many(transcripts[:chunk], specs, emotion)  # warm-up
    start = time.perf_counter()
    results = []
    for i in range(0, len(transcripts), chunk):
        results += inspect_many(transcripts[i : i + chunk], specs, emotion)
    elapsed = time.perf_counter() - start
    assert len(results) == len(transcripts)
    return elapsed


def bench_live(emotion: CustomerEmotion, turns: list[tuple[str, str]], n: int) -> list[float]:
    """One customer message at a time, as the live flag scores it."""
    texts = [body for sender, body in turns if sender == "customer"][:n]
    for t in texts[:50]:
        emotion.score([t])
    times = []
    for t in texts:
        start = time.perf_counter()
        emotion.score([t])
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_store(backend: str, transcripts: list[Transcript], emotion: CustomerEmotion) -> None:
    """The whole service path on a real database: transcripts in, inspections and hits out."""
    from ingest import postgres_reachable, postgres_url, sqlite_url  # bench/ingest.py

    if backend == "postgresql" and (why := postgres_reachable()) is not None:
        print(f"store/postgresql skipped: {why}")
        return
    with sqlite_url() if backend == "sqlite" else postgres_url() as url:
        upgrade(url)
        db = Database(url)
        try:
            ws_id, ids = _store_world(db, transcripts)
            start = time.perf_counter()
            for i in range(0, len(ids), 2000):
                with db.session() as s:
                    service.inspect_conversations(s, ws_id, ids[i : i + 2000], emotion)
            elapsed = time.perf_counter() - start
            with db.session() as s:
                assert not service.pending_conversation_ids(s, ws_id)
        finally:
            db.dispose()
    print(
        f"store/{backend}: {len(ids):,} conversations in {elapsed:.2f} s = "
        f"{len(ids) / elapsed:,.0f} conversations/s (read, inspect, write, commit)"
    )


def _store_world(db: Database, transcripts: list[Transcript]) -> tuple[int, list[int]]:
    """The transcripts as closed conversations of a fresh workspace (before the clock starts)."""
    with db.session() as s:
        ws = ws_service.create_workspace(s, "bench", "Bench")
        agent = ws_service.create_user(s, ws.id, "a@b.c", "agent", None, "agent")
        channel = conv.channel_by_kind(s, ws.id, "web")
        ids = []
        for t in transcripts:
            c, _ = conv.create_conversation(s, ws.id, channel_id=channel.id)
            conv.post_messages(
                s,
                ws.id,
                [
                    conv.NewMessage(
                        c.id,
                        m.sender,
                        m.body,
                        sender_user_id=agent.id if m.sender == "agent" else None,
                        created_at=m.at,
                    )
                    for m in t.messages
                ],
            )
            conv.update_conversation(s, ws.id, c.id, status="closed")
            ids.append(c.id)
        return ws.id, ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conversations", type=int, default=4000)
    ap.add_argument("--length", type=int, default=20, help="messages per conversation")
    ap.add_argument("--chunk", type=int, default=500, help="conversations per model call")
    ap.add_argument("--live", type=int, default=2000, help="messages for the latency test")
    ap.add_argument("--store", choices=["none", "sqlite", "postgresql", "all"], default="none")
    ap.add_argument("--data", type=Path, default=JDDC)
    args = ap.parse_args()
    one_core()
    model_dir = get_settings().model_dir.resolve()
    chinese = load_negativity_model(model_dir)
    emotion = CustomerEmotion(chinese)
    print(f"emotion model: {emotion.version} (from {model_dir})")
    turns = real_turns(args.data)
    transcripts = synthesise(turns, args.conversations, args.length, seed=0)
    msgs = sum(len(t.messages) for t in transcripts)
    elapsed = bench_inspect(transcripts, emotion, args.chunk)
    print(
        f"inspect (one core): {len(transcripts):,} conversations of {args.length} messages "
        f"({msgs:,} messages) in {elapsed:.2f} s = {len(transcripts) / elapsed:,.0f} "
        f"conversations/s  [target >= 200]"
    )
    times = bench_live(emotion, turns, args.live)
    q = statistics.quantiles(times, n=100)
    print(
        f"live emotion per message: n={len(times):,} p50 {q[49]:.2f} ms  p99 {q[98]:.2f} ms  "
        f"max {max(times):.2f} ms  [target p99 < 10 ms]"
    )
    backends = ["sqlite", "postgresql"] if args.store == "all" else [args.store]
    for backend in backends:
        if backend != "none":
            bench_store(backend, transcripts[: min(len(transcripts), 2000)], emotion)


if __name__ == "__main__":
    main()
