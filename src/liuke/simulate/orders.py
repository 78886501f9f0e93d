"""Orders and daily sales, written after the conversations because conversions and churn
decide who can buy what and when.

Each product line gets the day's planned number of orders: first the orders that pre-sales
conversations led to (``source_conversation_id`` set), then ordinary orders from customers who
are registered and have not churned. ``daily_sales`` is the sum of the orders per line and China
day (gross: every order placed, whatever its later status, as ``commerce.service`` counts them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from liuke.simulate import catalog
from liuke.simulate.engine import ORDER_HOUR_WEIGHTS, Conversion, DayPlan, Product, World
from liuke.simulate.people import DAY
from liuke.simulate.rand import cumulative, draw, pick_index
from liuke.simulate.signals import Observed

QTY_ORDINARY = ((1, 0.80), (2, 0.15), (3, 0.05))
QTY_KEY_ACCOUNT = ((1, 0.25), (2, 0.2), (3, 0.15), (5, 0.15), (10, 0.15), (20, 0.10))
DISCOUNTS = (100, 100, 100, 95, 90, 88, 85)  # percent of list price


@dataclass
class OrderDraft:
    ts: int
    customer: int  # index
    product: Product
    quantity: int
    cents: int
    status: str
    source_conversation_id: int | None


def _pick_buyer(rng: random.Random, world: World, ts: int, cum: list[float]) -> int | None:
    """A registered customer who has not churned by ``ts``, big buyers more often."""
    c = world.customers
    for _ in range(5000):
        i = draw(cum, rng.random())
        churned = c.churned_ts[i]
        if c.registered_ts[i] <= ts and (churned is None or ts < churned):
            return i
    return None


def _draft(
    rng: random.Random, world: World, cust: int, product: Product, ts: int, source: int | None
) -> OrderDraft:
    key_account = world.customers.key_account[cust]
    table = QTY_KEY_ACCOUNT if key_account else QTY_ORDINARY
    qty = rng.choices([q for q, _ in table], weights=[w for _, w in table])[0]
    cents = product.price_cents * qty * rng.choice(DISCOUNTS) // 100
    r = rng.random()
    status = "refunded" if r < 0.04 else ("cancelled" if r < 0.06 else "paid")
    return OrderDraft(ts, cust, product, qty, cents, status, source)


def make_orders(
    rng: random.Random,
    world: World,
    plans: list[DayPlan],
    conversions: list[Conversion],
    obs: Observed,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Order rows (sorted by time) and daily_sales rows for every line and day of the window."""
    n_lines = len(catalog.PRODUCT_LINES)
    by_day: dict[tuple[int, int], list[Conversion]] = {}
    for cv in conversions:
        key = (cv.product.line, (cv.ts - world.start_ts) // DAY)
        by_day.setdefault(key, []).append(cv)
    hour_cum = cumulative(ORDER_HOUR_WEIGHTS)
    buyer_cum = cumulative(world.customers.order_weight)
    drafts: list[OrderDraft] = []
    for plan in plans:
        for li in range(n_lines):
            converted = by_day.get((li, plan.index), [])
            for cv in converted:
                drafts.append(
                    _draft(rng, world, cv.customer, cv.product, cv.ts, cv.conversation_id)
                )
            premium = sorted(world.products[li], key=lambda p: -p.price_cents)[:3]
            for _ in range(max(0, plan.orders[li] - len(converted))):
                ts = plan.start_ts + pick_index(rng, hour_cum) * 3600 + rng.randrange(3600)
                cust = _pick_buyer(rng, world, ts, buyer_cum)
                if cust is None:
                    continue
                if world.customers.key_account[cust] and rng.random() < 0.5:
                    product = rng.choice(premium)
                else:
                    product = world.products[li][pick_index(rng, world.product_cum[li])]
                drafts.append(_draft(rng, world, cust, product, ts, None))
    drafts.sort(key=lambda d: d.ts)

    ws = world.workspace_id
    customers = world.customers
    sales: dict[tuple[int, int], list[int]] = {}
    rows: list[dict[str, Any]] = []
    for n, d in enumerate(drafts, start=1):
        day_index = (d.ts - world.start_ts) // DAY
        order_day = world.start + timedelta(days=day_index)
        rows.append(
            {
                "workspace_id": ws,
                "external_id": f"{order_day:%Y%m%d}{n:08d}",
                "customer_id": customers.ids[d.customer],
                "product_id": d.product.id,
                "quantity": d.quantity,
                "amount": Decimal(d.cents).scaleb(-2),
                "status": d.status,
                "ordered_at": d.ts,
                "source_conversation_id": d.source_conversation_id,
                "created_at": d.ts,
            }
        )
        acc = sales.setdefault((d.product.line, day_index), [0, 0, 0])
        acc[0] += 1
        acc[1] += d.quantity
        acc[2] += d.cents
        customers.last_activity_ts[d.customer] = max(customers.last_activity_ts[d.customer], d.ts)
    daily: list[dict[str, Any]] = []
    for day_index in range(world.days):
        day = world.start + timedelta(days=day_index)
        for li in range(n_lines):
            n_orders, units, cents = sales.get((li, day_index), (0, 0, 0))
            obs.orders[(li, day_index)] = n_orders
            daily.append(
                {
                    "workspace_id": ws,
                    "product_line_id": world.line_ids[li],
                    "day": day,
                    "orders": n_orders,
                    "units": units,
                    "revenue": Decimal(cents).scaleb(-2),
                }
            )
    return rows, daily
