"""Message ingest throughput: the service layer and the REST API, on SQLite and PostgreSQL.

Prints figures; asserts no timings (it does check that every message was stored exactly once).

    .venv/bin/python bench/ingest.py --messages 20000 --backend all
    .venv/bin/python bench/ingest.py --backend sqlite --profile   # cProfile of the batch path

Each scenario gets a fresh workspace with its own ``--conversations`` conversations (created
before the clock starts) and posts messages round-robin over them, every message with an
idempotency key, a mix of customer / agent / bot senders and Chinese bodies. The outbox
dispatcher is off, so its work is not counted (each message also writes one outbox row).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from liuke.app import create_app
from liuke.conversations import service as conv_service
from liuke.conversations.models import Message
from liuke.core.config import Settings
from liuke.core.db import Database
from liuke.core.migrate import upgrade
from liuke.workspaces import service as ws_service

PG_ADMIN_URL = os.environ.get(
    "LIUKE_BENCH_PG_URL",
    os.environ.get("LIUKE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
BODIES = (
    "你好，我上周买的电饭煲一直没有发货，能帮我查一下物流吗？",
    "订单号 {n}，收到的商品外包装破损，要求换货。",
    "请问这款空气净化器的滤芯多久需要更换一次？",
    "您好，已为您查询，包裹预计明天下午送达，请留意电话。",
    "Hi, I was charged twice for order {n}, please refund one of them.",
    "这个问题我已经反馈给仓库，稍后会有专人联系您，请问还有其他可以帮您的吗？",
    "好的谢谢，那我等你们电话。",
    "根据您的描述，建议先恢复出厂设置，如果仍然无法开机，我们安排上门维修。",
)
SENDERS = ("customer",) * 12 + ("agent",) * 5 + ("bot",) * 3  # 60 / 25 / 15 %


# --- databases --------------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="liuke-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"liuke_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


# --- a workspace to post into -----------------------------------------------------------------


@dataclass
class World:
    workspace_id: int
    agent_id: int
    api_key: str
    conversations: list[int]
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])


def make_world(db: Database, n_conversations: int) -> World:
    slug = f"bench-{uuid.uuid4().hex[:10]}"
    with db.session() as s:
        ws = ws_service.create_workspace(s, slug, "Bench")
        agent = ws_service.create_user(s, ws.id, f"agent@{slug}.test", "坐席", "bench-password-1")
        role = ws_service.role_by_name(s, ws.id, "admin")
        key, _row = ws_service.create_api_key(s, ws.id, "bench", role.id, agent.id)
        channel = conv_service.channel_by_kind(s, ws.id, "api")
        ids = []
        for i in range(n_conversations):
            conv, _ = conv_service.create_conversation(
                s, ws.id, channel_id=channel.id, subject=f"咨询 {i}", external_id=f"c{i}"
            )
            ids.append(conv.id)
        return World(ws.id, agent.id, key, ids)


def message(world: World, i: int) -> dict[str, Any]:
    """The i-th message of a run, as JSON-ready fields."""
    sender = SENDERS[i % len(SENDERS)]
    return {
        "conversation_id": world.conversations[i % len(world.conversations)],
        "sender_type": sender,
        "sender_user_id": world.agent_id if sender == "agent" else None,
        "body": BODIES[i % len(BODIES)].format(n=100000 + i),
        "idempotency_key": f"{world.tag}-{i}",
    }


def new_message(world: World, i: int) -> conv_service.NewMessage:
    return conv_service.NewMessage(**message(world, i))


def stored(db: Database, world: World) -> int:
    with db.session() as s:
        q = select(func.count()).select_from(Message)
        return int(s.scalar(q.where(Message.workspace_id == world.workspace_id)) or 0)


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    path: str
    mode: str
    messages: int
    seconds: float
    call_ms: list[float]
    cpu: float = 0.0  # CPU seconds of the liuke processes (not of the PostgreSQL server)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        return self.messages / self.cpu if self.cpu else 0.0

    def line(self) -> str:
        lat = ""
        if self.call_ms:
            ordered = sorted(self.call_ms)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            lat = f"{statistics.median(ordered):8.2f} {p99:8.2f}"
        else:
            lat = f"{'':8} {'':8}"
        return (
            f"{self.backend:<10} {self.path:<16} {self.mode:<22} {self.messages:>7} "
            f"{self.seconds:>8.2f} {self.rate:>10,.0f} {self.cpu_rate:>11,.0f}  {lat}  {self.note}"
        )


HEADER = (
    f"{'backend':<10} {'path':<16} {'mode':<22} {'msgs':>7} {'seconds':>8} {'msgs/s':>10} "
    f"{'msgs/cpu-s':>11}  {'p50 ms':>8} {'p99 ms':>8}  note"
)


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc (0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


@dataclass
class Timing:
    seconds: float
    call_ms: list[float]
    cpu: float


def timed_calls(
    calls: list[Callable[[], None]], workers: int = 1, server_pid: int | None = None
) -> Timing:
    latencies: list[float] = []

    def one(call: Callable[[], None]) -> None:
        t = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - t) * 1000)

    server_cpu = proc_cpu(server_pid) if server_pid else 0.0
    cpu = time.process_time()
    start = time.perf_counter()
    if workers == 1:
        for call in calls:
            one(call)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, calls))
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if server_pid:
        cpu += proc_cpu(server_pid) - server_cpu
    return Timing(seconds, latencies, cpu)


def check(db: Database, world: World, expected: int, what: str) -> None:
    got = stored(db, world)
    if got != expected:
        raise SystemExit(f"{what}: {got} messages stored, expected {expected}")


# --- scenarios --------------------------------------------------------------------------------


def service_single(db: Database, backend: str, n: int, n_conv: int) -> Result:
    world = make_world(db, n_conv)

    def call(i: int) -> Callable[[], None]:
        def post() -> None:
            with db.session() as s:
                conv_service.post_message(s, world.workspace_id, new_message(world, i))

        return post

    t = timed_calls([call(i) for i in range(n)])
    check(db, world, n, "service single")
    return Result(backend, "service", "1 msg / transaction", n, t.seconds, t.call_ms, t.cpu)


def service_batches(
    db: Database, backend: str, n: int, n_conv: int, size: int, replay: bool
) -> list[Result]:
    world = make_world(db, n_conv)
    batches = [
        [new_message(world, i) for i in range(a, min(a + size, n))] for a in range(0, n, size)
    ]

    def call(batch: list[conv_service.NewMessage]) -> Callable[[], None]:
        def post() -> None:
            with db.session() as s:
                conv_service.post_messages(s, world.workspace_id, batch)

        return post

    t = timed_calls([call(b) for b in batches])
    check(db, world, n, f"service batch {size}")
    out = [Result(backend, "service", f"batch {size}", n, t.seconds, t.call_ms, t.cpu)]
    if replay:  # the same keys again: every message is found, nothing is written
        t = timed_calls([call(b) for b in batches])
        check(db, world, n, f"service replay {size}")
        out.append(
            Result(
                backend, "service", f"replay batch {size}", n, t.seconds, t.call_ms, t.cpu, "dedupe"
            )
        )
    return out


def rest_single(post: Callable[..., httpx.Response], world: World) -> Callable[[int], None]:
    def call(i: int) -> None:
        m = message(world, i)
        key = m.pop("idempotency_key")
        conv = m.pop("conversation_id")
        r = post(
            f"/api/v1/conversations/{conv}/messages",
            json={k: v for k, v in m.items() if v is not None},
            headers={"Idempotency-Key": key},
        )
        if r.status_code != 201:
            raise SystemExit(f"POST message: {r.status_code} {r.text[:300]}")

    return call


def rest_batch(post: Callable[..., httpx.Response], world: World, size: int) -> Callable[..., None]:
    def call(start: int, stop: int) -> None:
        msgs = [
            {k: v for k, v in message(world, i).items() if v is not None}
            for i in range(start, stop)
        ]
        r = post("/api/v1/messages:batch", json={"messages": msgs})
        if r.status_code != 200 or sum(p["created"] for p in r.json()) != stop - start:
            raise SystemExit(f"POST batch: {r.status_code} {r.text[:300]}")

    return call


def rest_scenarios(
    db: Database,
    backend: str,
    path: str,
    post_for: Callable[[World], Callable[..., httpx.Response]],
    n_requests: int,
    n: int,
    n_conv: int,
    size: int,
    workers: int,
    server_pid: int | None = None,
) -> list[Result]:
    results = []
    world = make_world(db, n_conv)
    single = rest_single(post_for(world), world)
    calls = [lambda i=i: single(i) for i in range(n_requests)]
    t = timed_calls(calls, workers, server_pid)
    check(db, world, n_requests, f"{path} single")
    note = f"{workers} client threads" if workers > 1 else ""
    results.append(
        Result(backend, path, "1 msg / request", n_requests, t.seconds, t.call_ms, t.cpu, note)
    )

    world = make_world(db, n_conv)
    batch = rest_batch(post_for(world), world, size)
    spans = [(a, min(a + size, n)) for a in range(0, n, size)]
    t = timed_calls([lambda a=a, b=b: batch(a, b) for a, b in spans], workers, server_pid)
    check(db, world, n, f"{path} batch")
    results.append(
        Result(backend, path, f"batch {size} / request", n, t.seconds, t.call_ms, t.cpu, note)
    )
    return results


def testclient_scenarios(db: Database, backend: str, args: argparse.Namespace) -> list[Result]:
    settings = Settings(database_url=db.url, dispatch_in_process=False, max_body_bytes=5_000_000)
    with TestClient(create_app(settings, db)) as client:

        def post_for(world: World) -> Callable[..., httpx.Response]:
            auth = {"Authorization": f"Bearer {world.api_key}"}

            def post(url: str, json: Any, headers: dict[str, str] | None = None) -> httpx.Response:
                return client.post(url, json=json, headers={**auth, **(headers or {})})

            return post

        return rest_scenarios(
            db, backend, "rest/testclient", post_for, args.requests, args.messages,
            args.conversations, args.rest_batch, 1,
        )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def uvicorn_server(url: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "LIUKE_DATABASE_URL": url,
        "LIUKE_DISPATCH_IN_PROCESS": "false",
        "LIUKE_MAX_BODY_BYTES": "5000000",
    }
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "liuke.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--no-access-log",
        ],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"uvicorn exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("uvicorn did not start within 60 s")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def uvicorn_scenarios(db: Database, backend: str, args: argparse.Namespace) -> list[Result]:
    with uvicorn_server(db.url) as (base, pid):
        limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
        with httpx.Client(base_url=base, timeout=120, limits=limits) as http:

            def post_for(world: World) -> Callable[..., httpx.Response]:
                auth = {"Authorization": f"Bearer {world.api_key}"}

                def post(
                    url: str, json: Any, headers: dict[str, str] | None = None
                ) -> httpx.Response:
                    return http.post(url, json=json, headers={**auth, **(headers or {})})

                return post

            return rest_scenarios(
                db, backend, "rest/uvicorn", post_for, args.requests, args.messages,
                args.conversations, args.rest_batch, args.clients, pid,
            )  # fmt: skip


def warm_up(db: Database) -> None:
    """Fill SQLAlchemy's statement caches and the connection pool before any clock starts."""
    world = make_world(db, 5)
    for i in range(20):
        with db.session() as s:
            conv_service.post_message(s, world.workspace_id, new_message(world, i))
    with db.session() as s:
        conv_service.post_messages(
            s, world.workspace_id, [new_message(world, i) for i in range(20, 120)]
        )


def run_backend(backend: str, url: str, args: argparse.Namespace) -> list[Result]:
    upgrade(url)
    db = Database(url)
    results: list[Result] = []
    warm_up(db)

    def show(new: list[Result]) -> None:
        for r in new:
            print(r.line(), flush=True)
        results.extend(new)

    try:
        show([service_single(db, backend, args.single, args.conversations)])
        for size in args.batch:
            show(
                service_batches(
                    db, backend, args.messages, args.conversations, size, size == max(args.batch)
                )
            )
        if not args.no_rest:
            show(testclient_scenarios(db, backend, args))
            if not args.no_server:
                show(uvicorn_scenarios(db, backend, args))
    finally:
        db.dispose()
    return results


def profile_batches(url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    db = Database(url)
    size = max(args.batch)
    world = make_world(db, args.conversations)
    batches = [
        [new_message(world, i) for i in range(a, min(a + size, args.messages))]
        for a in range(0, args.messages, size)
    ]
    prof = cProfile.Profile()
    prof.enable()
    for batch in batches:
        with db.session() as s:
            conv_service.post_messages(s, world.workspace_id, batch)
    prof.disable()
    db.dispose()
    for order in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(order).print_stats(30)
        print(f"\n--- cProfile, service batch {size}, {args.messages} messages, by {order} ---")
        print(buf.getvalue())


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--messages", type=int, default=20_000, help="messages per batch scenario")
    p.add_argument(
        "--single",
        type=int,
        default=None,
        help="messages for 1-per-transaction (default: --messages / 4)",
    )
    p.add_argument("--requests", type=int, default=2_000, help="requests for REST 1-per-request")
    p.add_argument("--conversations", type=int, default=1_000)
    p.add_argument(
        "--batch",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[100, 500],
        help="service batch sizes, e.g. 100,500",
    )
    p.add_argument(
        "--rest-batch", type=int, default=500, help="messages per REST batch request (<= 1000)"
    )
    p.add_argument(
        "--clients", type=int, default=4, help="concurrent client threads against uvicorn"
    )
    p.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    p.add_argument("--no-rest", action="store_true", help="service layer only")
    p.add_argument("--no-server", action="store_true", help="skip the real uvicorn server")
    p.add_argument("--profile", action="store_true", help="cProfile the service batch path instead")
    args = p.parse_args()  # fmt: skip
    args.single = args.single or max(1, args.messages // 4)

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.conversations} conversations;"
        " dispatcher off; every message has an idempotency key", flush=True
    )  # fmt: skip
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    if args.profile:
        for backend in backends:
            with sqlite_url() if backend == "sqlite" else postgres_url() as url:
                profile_batches(url, args)
        return
    print(f"load average at start: {load_average()} (other work on this machine skews wall time)")
    print(HEADER)
    for backend in backends:
        if backend == "postgresql":
            why = postgres_reachable()
            if why:
                print(f"postgresql skipped: {PG_ADMIN_URL} unreachable ({why})")
                continue
        with sqlite_url() if backend == "sqlite" else postgres_url() as url:
            run_backend(backend, url, args)
    print(f"load average at end: {load_average()}")
    print(
        "msgs/cpu-s: messages per CPU second of this process (+ the uvicorn server process);"
        " PostgreSQL's own CPU is not counted"
    )


if __name__ == "__main__":
    main()
