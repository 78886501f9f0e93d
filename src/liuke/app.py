"""FastAPI application factory: mounts every capability's router and pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from liuke import __version__
from liuke.analytics.api import router as analytics_router
from liuke.analytics.pages import router as analytics_pages
from liuke.analytics.service import ResultCache, warm_overviews
from liuke.commerce.api import router as commerce_router
from liuke.complaints.api import router as complaints_router
from liuke.complaints.pages import router as complaints_pages
from liuke.conversations.api import router as conversations_router
from liuke.core.api import BodySizeLimit, install_error_handlers
from liuke.core.config import Settings, get_settings
from liuke.core.db import Database
from liuke.core.events import dispatch_pending
from liuke.crm.api import router as retention_router
from liuke.crm.pages import router as retention_pages
from liuke.customers.api import router as customers_router
from liuke.quality.api import router as quality_router
from liuke.quality.pages import router as quality_pages
from liuke.reports.api import router as reports_router
from liuke.reports.pages import router as reports_pages
from liuke.reports.scheduler import run_due
from liuke.surveys.api import router as surveys_router
from liuke.surveys.pages import router as surveys_pages
from liuke.web.pages import mount_pages
from liuke.workspaces.api import router as workspaces_router
from liuke.workspaces.events_api import router as events_router
from liuke.workspaces.service import LoginGuard

log = logging.getLogger(__name__)


async def _dispatch_loop(db: Database, interval: float) -> None:
    """Deliver outbox events in the background; the work itself runs in a thread."""
    while True:
        try:
            report = await asyncio.to_thread(dispatch_pending, db)
            if report.events:
                continue  # more may be waiting
        except Exception:
            log.exception("event dispatch failed; retrying")
        await asyncio.sleep(interval)


async def _report_loop(db: Database, settings: Settings) -> None:
    """Run due scheduled reports in the background (each in a thread: Chromium is blocking)."""
    while True:
        try:
            for outcome in await asyncio.to_thread(run_due, db, settings):
                log.info("scheduled report: %s", outcome)
        except Exception:
            log.exception("scheduled reports failed; retrying")
        await asyncio.sleep(settings.reports_check_s)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("warming the analytics cache failed", exc_info=task.exception())


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = db or Database(settings.database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = []
        if settings.dispatch_in_process:
            tasks.append(asyncio.create_task(_dispatch_loop(db, settings.dispatch_interval_s)))
        if settings.reports_in_process:
            tasks.append(asyncio.create_task(_report_loop(db, settings)))
        if settings.analytics_warm:
            warming = asyncio.create_task(
                asyncio.to_thread(warm_overviews, settings, db, app.state.analytics_cache)
            )
            warming.add_done_callback(_log_failure)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="liuke 留客",
        version=__version__,
        description="Customer-service platform API. Every request is scoped to one workspace.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.analytics_cache = ResultCache(settings.analytics_cache_s)
    app.state.login_guard = LoginGuard.create(settings.redis_url)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    for router in (
        workspaces_router,
        customers_router,
        commerce_router,
        conversations_router,
        quality_router,
        complaints_router,
        surveys_router,
        retention_router,
        reports_router,
        analytics_router,
        events_router,
    ):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    app.include_router(quality_pages)
    app.include_router(complaints_pages)
    app.include_router(analytics_pages)
    app.include_router(surveys_pages)
    app.include_router(retention_pages)
    app.include_router(reports_pages)
    mount_pages(app)
    return app
