"""A tiny workspace whose every metric is computed by hand in the tests.

Local times are China time (UTC+8). The window is 2026-11-02..2026-11-03; conversation 7 lies in
the previous period and conversation 8 after the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from liuke.commerce.models import Order, Product, ProductLine
from liuke.conversations.models import Channel, Conversation, Message
from liuke.conversations.service import channel_by_kind
from liuke.core.db import Database
from liuke.customers.models import Customer
from liuke.workspaces import service as ws_service

START, END = date(2026, 11, 2), date(2026, 11, 3)
CN = timedelta(hours=8)


def at(day: int, hms: str) -> datetime:
    """A local (China) time on 2026-11-<day> as aware UTC."""
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime(2026, 11, day, h, m, s, tzinfo=UTC) - CN


@dataclass
class Fixture:
    workspace_id: int
    slug: str
    admin_email: str
    web: int
    email: int
    agent_a: int
    agent_b: int
    conv: dict[int, int]


def build(db: Database) -> Fixture:
    slug = f"an-{datetime.now().timestamp():.6f}".replace(".", "")
    with db.session() as s:
        w = ws_service.create_workspace(s, slug, "指标样例店")
        admin = ws_service.create_user(
            s, w.id, f"admin@{slug}.test", "管理员", "pw-123456", "admin"
        )
        a = ws_service.create_user(s, w.id, f"a@{slug}.test", "客服甲", "pw-123456", "agent")
        b = ws_service.create_user(s, w.id, f"b@{slug}.test", "客服乙", "pw-123456", "agent")
        web = channel_by_kind(s, w.id, "web")  # the default channels: 网页咨询, 邮件, ...
        web.platform = "官网"
        mail = channel_by_kind(s, w.id, "email")
        line = ProductLine(workspace_id=w.id, code="digital", name="数码")
        s.add(line)
        s.flush()
        product = Product(workspace_id=w.id, product_line_id=line.id, sku="P1", name="耳机")
        c1 = Customer(workspace_id=w.id, name="c1", tier="ordinary")
        c2 = Customer(workspace_id=w.id, name="c2", tier="key_account")
        c3 = Customer(workspace_id=w.id, name="c3", tier="ordinary")
        s.add_all([product, c1, c2, c3])
        s.flush()

        convs: dict[int, int] = {}

        def conversation(
            n: int,
            channel: Channel,
            customer: Customer | None,
            assignee: int | None,
            intent: str | None,
            msgs: list[tuple[str, str, int | None]],
            *,
            day: int,
            status: str = "resolved",
            resolved: str | None = None,
            transfers: int = 0,
            bot: bool = False,
            timed: bool = True,
        ) -> None:
            times = [at(day, t) for t, _, _ in msgs]
            staff = [at(day, t) for t, who, _ in msgs if who in ("agent", "bot")]
            conv = Conversation(
                workspace_id=w.id,
                channel_id=channel.id,
                customer_id=customer.id if customer else None,
                assignee_id=assignee,
                product_line_id=line.id,
                status=status,
                created_at=times[0],
                first_response_at=staff[0] if staff else None,
                last_message_at=times[-1],
                resolved_at=at(day, resolved) if resolved else None,
                transfer_count=transfers,
                message_count=len(msgs),
                handled_by_bot=bot,
                intent=intent,
                timing_known=timed,
                meta={},
            )
            s.add(conv)
            s.flush()
            convs[n] = conv.id
            for seq, ((t, who, uid), when) in enumerate(zip(msgs, times, strict=True), start=1):
                s.add(
                    Message(
                        workspace_id=w.id,
                        conversation_id=conv.id,
                        seq=seq,
                        sender_type=who,
                        sender_user_id=uid,
                        body=f"{who} {t}",
                        created_at=when,
                    )
                )

        conversation(
            1,
            web,
            c1,
            a.id,
            "pre_sales",
            [
                ("10:00:00", "customer", None),
                ("10:00:02", "bot", None),
                ("10:00:10", "customer", None),
                ("10:00:11", "bot", None),
                ("10:00:41", "agent", a.id),
                ("10:01:00", "customer", None),
                ("10:01:05", "customer", None),
                ("10:01:35", "agent", a.id),
            ],
            day=2,
            resolved="10:05:00",
            bot=True,
        )
        conversation(
            2,
            web,
            c2,
            b.id,
            "after_sales",
            [("23:30:00", "customer", None), ("23:30:20", "agent", b.id)],
            day=2,
            resolved="23:40:00",
            transfers=1,
        )
        conversation(
            3,
            web,
            c3,
            None,
            None,
            [("09:00:00", "customer", None), ("09:05:00", "system", None)],
            day=3,
            status="abandoned",
        )
        conversation(
            4,
            mail,
            c1,
            a.id,
            "pre_sales",
            [
                ("14:00:00", "customer", None),
                ("15:00:00", "agent", a.id),
                ("15:10:00", "customer", None),
                ("15:20:00", "agent", a.id),
            ],
            day=3,
            resolved="16:00:00",
        )
        conversation(
            5,
            web,
            None,
            None,
            "order_status",
            [("20:00:00", "customer", None), ("20:00:03", "bot", None)],
            day=3,
            status="closed",
            resolved="20:01:00",
            bot=True,
        )
        conversation(
            6,
            web,
            c3,
            b.id,
            "after_sales",
            [("11:00:00", "customer", None), ("11:00:05", "agent", b.id)],
            day=3,
            resolved="11:10:00",
            timed=False,
        )
        conversation(
            7,
            web,
            c1,
            a.id,
            "pre_sales",
            [("10:00:00", "customer", None), ("10:00:10", "agent", a.id)],
            day=1,
            resolved="10:02:00",
        )
        conversation(
            8,
            web,
            c1,
            a.id,
            "pre_sales",
            [("01:00:00", "customer", None), ("01:00:04", "agent", a.id)],
            day=4,
            resolved="01:02:00",
        )

        def order(customer: Customer, when: datetime, amount: str, source: int | None) -> None:
            s.add(
                Order(
                    workspace_id=w.id,
                    customer_id=customer.id,
                    product_id=product.id,
                    quantity=1,
                    amount=Decimal(amount),
                    status="paid",
                    ordered_at=when,
                    source_conversation_id=source,
                )
            )

        order(c1, at(2, "12:00:00"), "100.00", convs[1])  # linked to conversation 1
        order(c2, at(2, "23:50:00"), "80.00", None)  # after an after-sales contact: no credit
        order(c1, at(3, "14:30:00"), "50.00", None)  # organic, 30 min after conversation 4
        s.add(
            Order(
                workspace_id=w.id,
                customer_id=c1.id,
                product_id=product.id,
                quantity=1,
                amount=Decimal("999.00"),
                status="refunded",
                ordered_at=at(3, "15:00:00"),
            )
        )
        return Fixture(w.id, slug, admin.email, web.id, mail.id, a.id, b.id, convs)
