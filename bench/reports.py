"""Time a management report on an existing database (prints figures, asserts nothing).

Builds the document of one report (not archived: the database is only read), timing each
section, the overview metrics with the diagnosis, and the effect ranking, then draws the XLSX and the PDF and prints their
sizes and the process's peak memory. Run it on the demo after ``liuke demo --no-serve``:

    .venv/bin/python bench/reports.py                                   # var/liuke.db, demo
    .venv/bin/python bench/reports.py --kind weekly --period 2026-W47
    .venv/bin/python bench/reports.py --database-url postgresql+psycopg://... --workspace acme
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

from liuke.analytics import service as analytics_service
from liuke.core.config import Settings, get_settings
from liuke.core.db import Database
from liuke.reports import builder, effects, render, service
from liuke.reports.pdf import PdfUnavailable
from liuke.reports.periods import last_complete, parse
from liuke.workspaces.clock import local_today
from liuke.workspaces.service import get_workspace_by_slug


def timed(name: str, into: dict[str, float], fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - t

    return wrapper


def patch(module: Any, name: str, value: Any) -> None:
    module.__dict__[name] = value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--workspace", default="demo")
    ap.add_argument("--kind", default="monthly", choices=("daily", "tenday", "weekly", "monthly"))
    ap.add_argument("--period", default=None, help="default: the last complete one")
    args = ap.parse_args()
    base = get_settings()
    settings = Settings(
        **{**base.model_dump(), "database_url": args.database_url or base.database_url}
    )
    db = Database(settings.database_url)
    times: dict[str, float] = {}
    for key, fn in list(builder.BUILDERS.items()):
        builder.BUILDERS[key] = timed(f"section {key}", times, fn)
    # the builder calls these through their modules, so wrapping the module attributes times them
    patch(
        analytics_service,
        "overview_and_findings",
        timed("overview + diagnosis", times, analytics_service.overview_and_findings),
    )
    patch(effects, "rank", timed("effects (churn model)", times, effects.rank))
    with db.session() as s:
        ws = get_workspace_by_slug(s, args.workspace)
        if ws is None:
            raise SystemExit(f"no workspace {args.workspace!r} in {settings.database_url}")
        period = (
            parse(args.kind, args.period)
            if args.period
            else last_complete(args.kind, local_today(s, ws.id))
        )
        t = time.perf_counter()
        doc = service.build_document(s, settings, ws.id, period)
        total = time.perf_counter() - t
    t = time.perf_counter()
    xlsx = render.xlsx(doc)
    t_xlsx = time.perf_counter() - t
    t = time.perf_counter()
    try:
        pdf: bytes | None = render.pdf(doc, settings)
    except PdfUnavailable as exc:
        pdf = None
        print(f"no PDF: {exc.detail}")
    t_pdf = time.perf_counter() - t
    print(f"{doc.title}  ({period.start} – {period.end})")
    print(f"{'step':32s} {'seconds':>8s}")
    for name, sec in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"{name:32s} {sec:8.2f}")
    print(f"{'document (all of the above)':32s} {total:8.2f}")
    print(f"{'xlsx':32s} {t_xlsx:8.2f}  {len(xlsx):,} bytes")
    if pdf is not None:
        print(f"{'pdf (Chromium)':32s} {t_pdf:8.2f}  {len(pdf):,} bytes")
    print(
        f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(
        f"actions: {len(doc.recommendations)}; sections: {', '.join(x.key for x in doc.sections)}"
    )
    for r in doc.recommendations:
        print(f"  {r.rank}. {r.title} — {r.effect:,.0f} ({r.effect_text})")


if __name__ == "__main__":
    main()
