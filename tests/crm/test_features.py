"""The churn feature table: windows, observation points, the last contact's issue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import insert

from liuke.commerce.models import Order, Product, ProductLine
from liuke.conversations.models import Channel, Conversation, ConversationLabel, Message
from liuke.core.db import Database
from liuke.crm.features import CATEGORY_OF, CHURN_LABELS, CHURN_SPEC, REASON_GROUPS, feature_frame
from liuke.customers.models import Customer
from tests.conftest import WorkspaceCtx

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)


def test_spec_is_labelled_and_grouped() -> None:
    for col in CHURN_SPEC.columns:
        zh, en = CHURN_LABELS[col]
        assert zh and en and zh != en
        assert CATEGORY_OF[col] in REASON_GROUPS
    assert set(CATEGORY_OF.values()) == set(REASON_GROUPS)
    assert not any("since_last_contact" in c for c in CHURN_SPEC.columns)


def test_feature_frame(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    d = timedelta(days=1)
    with db.session() as s:
        line = ProductLine(workspace_id=ws, code="l", name="l")
        s.add(line)
        s.flush()
        product = Product(workspace_id=ws, product_line_id=line.id, sku="p", name="p")
        web = Channel(workspace_id=ws, kind="web", name="web")
        mail = Channel(workspace_id=ws, kind="email", name="mail")
        a = Customer(workspace_id=ws, name="a", tier="key_account", created_at=AS_OF - 100 * d)
        b = Customer(workspace_id=ws, name="b", created_at=AS_OF - 10 * d)
        late = Customer(workspace_id=ws, name="late", created_at=AS_OF + d)
        s.add_all([product, web, mail, a, b, late])
        s.flush()
        orders = [
            (a.id, "paid", 100, AS_OF - 3 * d),
            (a.id, "paid", 50, AS_OF - 30 * d),
            (a.id, "refunded", 20, AS_OF - 40 * d),
            (a.id, "paid", 999, AS_OF - 400 * d),  # outside the year
        ]
        s.execute(
            insert(Order),
            [{"workspace_id": ws, "customer_id": c, "product_id": product.id,
              "amount": Decimal(amt), "status": st, "ordered_at": t} for c, st, amt, t in orders],
        )  # fmt: skip

        def conv(cid: int, ch: int, at: datetime, wait_s: float | None, **kw: object) -> int:
            c = Conversation(workspace_id=ws, channel_id=ch, customer_id=cid, created_at=at, **kw)
            s.add(c)
            s.flush()
            if wait_s is not None:
                s.add(Message(workspace_id=ws, conversation_id=c.id, seq=1, sender_type="agent",
                              body="hi", created_at=at + timedelta(seconds=wait_s)))  # fmt: skip
            return c.id

        conv(a.id, web.id, AS_OF - 50 * d, 30, status="closed", resolved_at=AS_OF - 50 * d,
             meta={"csat": 5})  # fmt: skip
        conv(
            a.id,
            mail.id,
            AS_OF - 20 * d,
            3600,
            status="closed",
            resolved_at=AS_OF - 19 * d,
            transfer_count=2,
            meta={"csat": 2},
        )  # a slow email reply is not a long wait
        complaint = conv(a.id, web.id, AS_OF - 5 * d, 900, status="open", meta={"csat": 1})
        s.add(ConversationLabel(workspace_id=ws, conversation_id=complaint, label="complaint"))
        conv(b.id, web.id, AS_OF - 2 * d, None, status="abandoned")
        s.flush()

        f = feature_frame(s, ws, AS_OF)
        assert list(f.index) == [a.id, b.id]
        fa = f.loc[a.id]
        assert fa["recency_days"] == pytest.approx(3)
        assert (fa["orders_365"], fa["revenue_365"], fa["refunds_365"]) == (2, 150, 1)
        assert (fa["contacts_90"], fa["long_waits_90"], fa["transfers_90"]) == (3, 1, 2)
        assert (fa["complaints_90"], fa["unresolved_complaints"]) == (1, 1)
        assert fa["last_contact_issue"] == "unresolved_complaint"
        assert fa["bad_contacts_90"] == 1
        assert fa["csat_mean"] == pytest.approx(8 / 3) and fa["csat_last"] == 1
        assert fa["tier"] == "key_account" and fa["tenure_days"] == pytest.approx(100)
        fb = f.loc[b.id]
        assert fb["last_contact_issue"] == "abandoned" and fb["abandoned_90"] == 1
        assert pd.isna(fb["recency_days"]) and pd.isna(fb["csat_mean"])

        # a's own observation point 10 days back: the complaint and the last order are later
        g = feature_frame(s, ws, AS_OF, observe_at=pd.Series({a.id: AS_OF - 10 * d}))
        ga = g.loc[a.id]
        assert ga["recency_days"] == pytest.approx(20)
        assert (ga["orders_365"], ga["contacts_90"], ga["complaints_90"]) == (1, 2, 0)
        assert ga["last_contact_issue"] == "none" and ga["csat_last"] == 2
        assert ga["tenure_days"] == pytest.approx(90)
        assert g.loc[b.id, "contacts_90"] == 1  # b still observed at as_of

        with pytest.raises(ValueError):
            feature_frame(s, ws, AS_OF.replace(tzinfo=None))
