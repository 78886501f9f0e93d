"""Cases through the service layer: intake, workflow, ownership, classification, merge, links,
second reviews, acknowledgements and cases opened from labelled conversations (SQLite and PG)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liuke.commerce.service import create_product_line
from liuke.complaints import grid as g
from liuke.complaints import service
from liuke.complaints.classifier import CaseClassifier, Example
from liuke.complaints.models import Case, CaseEvent, CaseReview
from liuke.complaints.service import TRANSITIONS, Intake
from liuke.conversations.models import Message
from liuke.conversations.service import (
    NewMessage,
    channel_by_kind,
    create_conversation,
    post_message,
    update_conversation,
)
from liuke.core.config import get_settings
from liuke.core.db import Database
from liuke.core.errors import BadRequest, Conflict, NotFound
from liuke.core.events import OutboxEvent
from liuke.customers.models import Customer
from liuke.customers.service import update_customer
from liuke.workspaces import service as ws_service
from liuke.workspaces.models import Workspace
from tests.conftest import PASSWORD, WorkspaceCtx, drain_events

# 12:00 in Shanghai (the workspaces' time zone) on 2026-03-02
NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty model folder: suggestions come from the lexicon, whatever else was trained."""
    monkeypatch.setenv("LIUKE_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield tmp_path / "models"
    get_settings.cache_clear()


# --- helpers ---------------------------------------------------------------------------------


def new_case(
    db: Database,
    ws: int,
    *,
    actor_id: int | None = None,
    suggester: Any = None,
    notify: bool = False,
    **fields: Any,
) -> int:
    fields.setdefault("title", "手机屏幕裂了")
    with db.session() as s:
        case, created = service.create_case(
            s, ws, Intake(**fields), actor_id=actor_id, suggester=suggester, notify=notify
        )
        assert created
        return case.id


def load(db: Database, ws: int, case_id: int) -> Case:
    with db.session() as s:
        case = service.get_case(s, ws, case_id)
        s.expunge(case)
        return case


def count(db: Database, model: Any, ws: int, *where: Any) -> int:
    with db.session() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(model).where(model.workspace_id == ws, *where)
            )
            or 0
        )


def events_of(db: Database, ws: int, case_id: int) -> list[tuple[str, dict[str, Any], str]]:
    with db.session() as s:
        return [(e.kind, e.data, e.body) for e in service.timeline(s, ws, case_id)]


def set_conf(db: Database, ws: int, **conf: Any) -> None:
    with db.session() as s:
        w = s.get(Workspace, ws)
        assert w is not None
        w.settings = {**(w.settings or {}), "complaints": conf}


def customer(db: Database, ws: int, tier: str = "ordinary", email: str | None = None) -> int:
    with db.session() as s:
        c = Customer(workspace_id=ws, name="客户", tier=tier, email=email)
        s.add(c)
        s.flush()
        return c.id


def user(db: Database, ws: int, email: str, role: str = "agent") -> int:
    with db.session() as s:
        return ws_service.create_user(s, ws, email, email, PASSWORD, role).id


def conversation(
    db: Database, ws: int, kind: str = "web", customer_id: int | None = None, **kw: Any
) -> int:
    with db.session() as s:
        conv, _ = create_conversation(
            s, ws, channel_id=channel_by_kind(s, ws, kind).id, customer_id=customer_id, **kw
        )
        return conv.id


def messages(db: Database, ws: int, conv_id: int) -> list[tuple[str, str]]:
    with db.session() as s:
        rows = s.scalars(
            select(Message)
            .where(Message.workspace_id == ws, Message.conversation_id == conv_id)
            .order_by(Message.seq)
        )
        return [(m.sender_type, m.body) for m in rows]


def bad_request(fn: Callable[[Session], Any], db: Database) -> str:
    """Run ``fn`` in a session that is rolled back; return the BadRequest's detail."""
    with pytest.raises(BadRequest) as info, db.session() as s:
        fn(s)
    return str(info.value.params["detail"])


def refused(db: Database, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """``bad_request`` for ``fn(session, *args, **kwargs)``."""
    return bad_request(lambda s: fn(s, *args, **kwargs), db)


# --- intake ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("kind", "rant", "inquiry, complaint, suggestion"),
        ("category", "shipping", "product_quality, service_policy, work_quality, other"),
        ("severity", "urgent", "low, normal, high, critical"),
        ("source", "fax", "conversation, email, api, agent, import"),
        ("channel_kind", "pigeon", "web, email, api, phone"),
    ],
)
def test_intake_refuses_unknown_values_naming_the_allowed_ones(
    db: Database, workspace: WorkspaceCtx, field: str, value: str, allowed: str
) -> None:
    extra: dict[str, Any] = {field: value}
    detail = bad_request(
        lambda s: service.create_case(s, workspace.id, Intake(title="x", **extra)), db
    )
    assert detail == f"{field} must be one of {allowed} (got {value!r})"
    assert count(db, Case, workspace.id) == 0


@pytest.mark.parametrize(("title", "description"), [("", ""), ("  ", "\n\t ")])
def test_intake_needs_some_text(
    db: Database, workspace: WorkspaceCtx, title: str, description: str
) -> None:
    detail = bad_request(
        lambda s: service.create_case(
            s, workspace.id, Intake(title=title, description=description)
        ),
        db,
    )
    assert "needs a title or a description" in detail
    assert count(db, Case, workspace.id) == 0
    # a description alone is enough
    case_id = new_case(db, workspace.id, title="", description="屏幕坏了")
    assert load(db, workspace.id, case_id).description == "屏幕坏了"


def test_intake_refuses_references_into_another_workspace(
    db: Database, make_workspace: Callable[..., WorkspaceCtx]
) -> None:
    ws, other = make_workspace(), make_workspace("Other")
    foreign_customer = customer(db, other.id)
    foreign_user = user(db, other.id, "x@other.test")
    foreign_conv = conversation(db, other.id, customer_id=foreign_customer)
    with db.session() as s:
        foreign_line = create_product_line(s, other.id, "phone", "手机").id
    before = count(db, OutboxEvent, ws.id)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"customer_id": foreign_customer}, "customer"),
        ({"product_line_id": foreign_line}, "product_line"),
        ({"owner_id": foreign_user}, "user"),
        ({"conversation_id": foreign_conv}, "conversation"),
    ]
    for fields, entity in cases:
        with pytest.raises(NotFound) as info, db.session() as s:
            service.create_case(s, ws.id, Intake(title="投诉", **fields), notify=True)
        assert info.value.params["entity"] == entity, fields
    assert count(db, Case, ws.id) == 0
    assert count(db, Case, other.id) == 0
    assert count(db, OutboxEvent, ws.id) == before
    assert messages(db, other.id, foreign_conv) == []  # no acknowledgement leaked over


def test_one_case_per_conversation_and_per_external_id(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    conv = conversation(db, ws, kind="email")
    with db.session() as s:
        first, created = service.create_case(
            s, ws, Intake(title="发错货", conversation_id=conv, source="conversation")
        )
        assert created
    with db.session() as s:
        again, created = service.create_case(
            s, ws, Intake(title="另一个标题", conversation_id=conv, source="conversation")
        )
        assert (again.id, created, again.title) == (first.id, False, "发错货")
    with db.session() as s:
        a, created_a = service.create_case(s, ws, Intake(title="A", external_id="crm-1"))
        b, created_b = service.create_case(s, ws, Intake(title="B", external_id="crm-1"))
        c, created_c = service.create_case(s, ws, Intake(title="C", external_id="crm-2"))
        assert (created_a, created_b, created_c) == (True, False, True)
        assert b.id == a.id != c.id and b.title == "A"
    assert count(db, Case, ws) == 3
    assert count(db, OutboxEvent, ws, OutboxEvent.type == "case.created") == 3
    # the conversation got exactly one acknowledgement
    assert [m for m in messages(db, ws, conv) if m[0] == "system"] == [
        ("system", service.ACK_TEXT["zh_CN"].format(number=f"C{first.id:06d}", hours=48))
    ]


def test_grid_cell_is_fixed_when_the_case_is_received(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    vip = customer(db, ws, tier="key_account")
    conv = conversation(db, ws, kind="phone", customer_id=vip)
    with db.session() as s:
        line = create_product_line(s, ws, "tv", "电视").id
    case_id = new_case(
        db, ws, conversation_id=conv, product_line_id=line, category="product_quality",
        received_at=NOON,
    )  # fmt: skip
    case = load(db, ws, case_id)
    assert (case.customer_id, case.customer_tier, case.channel_kind) == (
        vip,
        "key_account",
        "phone",
    )
    assert case.category_confirmed  # the category was given at intake
    with db.session() as s:
        update_customer(s, ws, vip, tier="ordinary")
    case = load(db, ws, case_id)
    assert case.customer_tier == "key_account"
    with db.session() as s:
        grid = g.grid(s, ws, DAY, DAY)
    assert grid.count(customer_tier="key_account") == 1
    assert grid.count(customer_tier="ordinary") == 0
    assert grid.count(category="product_quality", product_line_id=line, channel_kind="phone") == 1


def test_due_dates_follow_the_severity_hours_in_the_settings(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    set_conf(db, ws, due_hours={"critical": 2, "low": 200})
    expected = {"critical": 2, "high": 24, "normal": 48, "low": 200}
    for severity, hours in expected.items():
        case = load(db, ws, new_case(db, ws, severity=severity, received_at=NOON))
        assert case.due_at == NOON + timedelta(hours=hours), severity


def test_a_suggested_product_line_must_be_one_of_the_workspaces(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    with db.session() as s:
        tv = create_product_line(s, ws, "tv", "电视").id
    ghost = "987654321"  # a line the model learned elsewhere (another database, a removed line)
    model = CaseClassifier().train(
        [Example(f"电视花屏黑屏 {i}", product_line=str(tv)) for i in range(5)]
        + [Example(f"冰箱不制冷结霜 {i}", product_line=ghost) for i in range(5)]
    )
    _, line = model.suggest("冰箱不制冷")
    assert line is not None and line.label == ghost
    fridge = load(db, ws, new_case(db, ws, title="冰箱不制冷", suggester=model))
    assert (fridge.product_line_id, fridge.suggested_product_line_id) == (None, None)
    screen = load(db, ws, new_case(db, ws, title="电视花屏", suggester=model))
    assert (screen.product_line_id, screen.suggested_product_line_id) == (tv, tv)


# --- the status workflow ---------------------------------------------------------------------

# how to reach each status from "new" (a complaint; resolutions given where needed)
PATHS: dict[str, list[str]] = {
    "new": [],
    "acknowledged": ["acknowledged"],
    "in_progress": ["in_progress"],
    "resolved": ["resolved"],
    "closed": ["resolved", "closed"],
    "reopened": ["resolved", "closed", "reopened"],
}


def test_every_allowed_transition_works_and_every_other_is_refused(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    assert set(PATHS) == set(TRANSITIONS)
    with db.session() as s:
        for start, path in PATHS.items():
            for target in PATHS:
                case, _ = service.create_case(
                    s, ws, Intake(title=f"{start}->{target}"), notify=False
                )
                for step in path:
                    service.set_status(s, case, step, actor_id=None, resolution="已处理")
                assert case.status == start
                if target in TRANSITIONS[start]:
                    service.set_status(s, case, target, actor_id=None, resolution="已退款")
                    assert case.status == target
                else:
                    with pytest.raises(BadRequest) as info:
                        service.set_status(s, case, target, actor_id=None, resolution="x")
                    allowed = ", ".join(TRANSITIONS[start])
                    assert info.value.params["detail"] == (
                        f"a {start} case can move to: {allowed} (not {target})"
                    )
                    assert case.status == start
    # closed only after resolved
    for start in ("new", "acknowledged", "in_progress", "reopened"):
        assert "closed" not in TRANSITIONS[start]
    with pytest.raises(NotFound), db.session() as s:
        service.change_status(s, ws, 10**9, "resolved", actor_id=None)
    fresh = new_case(db, ws)
    detail = bad_request(lambda s: service.change_status(s, ws, fresh, "done", actor_id=None), db)
    assert detail.startswith("status must be one of new, acknowledged, in_progress")


def test_resolving_a_complaint_needs_a_resolution_and_reopening_counts(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws, admin = workspace.id, workspace.admin_id
    complaint = new_case(db, ws)
    for resolution in (None, "", "   "):
        detail = refused(
            db, service.change_status, ws, complaint, "resolved", actor_id=admin,
            resolution=resolution,
        )  # fmt: skip
        assert detail == "say how the complaint was resolved (resolution)"
    assert load(db, ws, complaint).status == "new"
    inquiry = new_case(db, ws, kind="inquiry", title="几天发货？")
    with db.session() as s:
        assert service.change_status(s, ws, inquiry, "resolved", actor_id=admin).resolved_at
    with db.session() as s:
        case = service.change_status(
            s, ws, complaint, "resolved", actor_id=admin, resolution="  换新机  "
        )
        assert (case.resolution, case.reopen_count) == ("换新机", 0)
        assert case.resolved_at is not None
        service.change_status(s, ws, complaint, "reopened", actor_id=admin)
        assert case.reopen_count == 1
        assert case.resolved_at is None and case.closed_at is None
        # the earlier resolution stands unless a new one is given
        service.change_status(s, ws, complaint, "resolved", actor_id=admin)
        service.change_status(s, ws, complaint, "closed", actor_id=admin)
        assert case.closed_at is not None and case.resolution == "换新机"
        service.change_status(s, ws, complaint, "reopened", actor_id=admin)
        assert case.reopen_count == 2
    steps = [(d["from"], d["to"]) for k, d, _ in events_of(db, ws, complaint) if k == "status"]
    assert steps == [
        ("new", "resolved"),
        ("resolved", "reopened"),
        ("reopened", "resolved"),
        ("resolved", "closed"),
        ("closed", "reopened"),
    ]
    with db.session() as s:
        rows = s.execute(
            select(OutboxEvent.type, OutboxEvent.payload)
            .where(OutboxEvent.workspace_id == ws, OutboxEvent.type.like("case.re%"))
            .order_by(OutboxEvent.id)
        ).all()
    types = [t for t, payload in rows if payload["case_id"] == complaint]
    assert types == ["case.resolved", "case.reopened", "case.resolved", "case.reopened"]


# --- ownership -------------------------------------------------------------------------------


def test_one_stop_ownership(db: Database, workspace: WorkspaceCtx) -> None:
    ws, admin = workspace.id, workspace.admin_id
    a, b = user(db, ws, "a@own.test"), user(db, ws, "b@own.test")
    gone = user(db, ws, "gone@own.test")
    with db.session() as s:
        ws_service.update_user(s, ws, gone, is_active=False)
    case_id = new_case(db, ws)
    with db.session() as s:
        case = service.assign(s, ws, case_id, a, actor_id=admin)
        assert (case.owner_id, case.first_owner_id, case.reassign_count) == (a, a, 0)
        service.assign(s, ws, case_id, a, actor_id=admin)  # the same owner: nothing happens
        assert case.reassign_count == 0
    for reason in ("", "   "):
        detail = refused(db, service.assign, ws, case_id, b, actor_id=admin, reason=reason)
        assert detail == "the case has an owner: say why it must change hands"
    detail = bad_request(
        lambda s: service.assign(s, ws, case_id, gone, actor_id=admin, reason="休假"), db
    )
    assert detail == f"user {gone} is deactivated and cannot own cases"
    with db.session() as s:
        case = service.assign(s, ws, case_id, b, actor_id=admin, reason=" 需要技术支持 ")
        assert (case.owner_id, case.first_owner_id, case.reassign_count) == (b, a, 1)
        service.assign(s, ws, case_id, a, actor_id=admin, reason="技术问题已查明")
        assert (case.owner_id, case.first_owner_id, case.reassign_count) == (a, a, 2)
    owners = [(k, d, body) for k, d, body in events_of(db, ws, case_id) if "assign" in k]
    assert owners == [
        ("assigned", {"owner_id": a}, ""),
        ("reassigned", {"from": a, "to": b}, "需要技术支持"),
        ("reassigned", {"from": b, "to": a}, "技术问题已查明"),
    ]
    # an intake owner counts as the first owner; a deactivated one is refused there too
    case = load(db, ws, new_case(db, ws, owner_id=b))
    assert (case.owner_id, case.first_owner_id) == (b, b)
    detail = bad_request(lambda s: service.create_case(s, ws, Intake(title="x", owner_id=gone)), db)
    assert "deactivated" in detail


# --- classification and QA sampling ----------------------------------------------------------


def test_classify_confirms_and_records_corrections(db: Database, workspace: WorkspaceCtx) -> None:
    ws, admin = workspace.id, workspace.admin_id
    set_conf(db, ws, review_share=0.0)
    lexicon = CaseClassifier()
    with db.session() as s:
        line = create_product_line(s, ws, "tv", "电视").id
    rude = new_case(db, ws, title="客服态度恶劣，挂电话", suggester=lexicon)
    case = load(db, ws, rude)
    assert (case.suggested_category, case.category, case.category_confirmed) == (
        "work_quality",
        "work_quality",
        False,
    )
    assert case.classifier_version == "lexicon-untrained"
    other = new_case(db, ws, title="客服态度恶劣，挂电话", suggester=lexicon)
    with db.session() as s:
        service.classify(s, ws, rude, category="work_quality", product_line_id=None, actor_id=admin)
        service.classify(
            s, ws, other, category="product_quality", product_line_id=line,
            subcategory=" 屏幕 ", actor_id=admin,
        )  # fmt: skip
    confirmed, corrected = load(db, ws, rude), load(db, ws, other)
    assert confirmed.category_confirmed and corrected.category_confirmed
    assert (corrected.category, corrected.product_line_id, corrected.subcategory) == (
        "product_quality",
        line,
        "屏幕",
    )
    assert corrected.suggested_category == "work_quality"  # the suggestion is kept beside it
    [(_, ev1, _)] = [e for e in events_of(db, ws, rude) if e[0] == "classified"]
    [(_, ev2, _)] = [e for e in events_of(db, ws, other) if e[0] == "classified"]
    assert ev1["after"]["corrected"] is False
    assert ev2["after"] == {
        "category": "product_quality",
        "product_line_id": line,
        "corrected": True,
    }
    assert ev2["before"] == {"category": "work_quality", "product_line_id": None}
    assert confirmed.review_status == corrected.review_status == "none"  # share 0.0
    # bad values
    detail = bad_request(
        lambda s: service.classify(s, ws, rude, category="logistics", product_line_id=None,
                                   actor_id=admin),
        db,
    )  # fmt: skip
    assert detail.startswith("category must be one of product_quality, service_policy")


def test_qa_sampling_is_a_stable_draw(
    db: Database, make_workspace: Callable[..., WorkspaceCtx]
) -> None:
    always, never = make_workspace(), make_workspace("never")
    set_conf(db, always.id, review_share=1.0)
    set_conf(db, never.id, review_share=0.0)
    for ctx, expected in ((always, "queued"), (never, "none")):
        ids = [new_case(db, ctx.id, title=f"c{i}") for i in range(4)]
        with db.session() as s:
            for case_id in ids:
                service.classify(
                    s, ctx.id, case_id, category="other", product_line_id=None, actor_id=None
                )
        assert {load(db, ctx.id, i).review_status for i in ids} == {expected}
    # the same case is always in or out; a larger share keeps everything a smaller one drew
    draws = [service.sampled(7, i, 0.3) for i in range(2000)]
    assert draws == [service.sampled(7, i, 0.3) for i in range(2000)]
    assert all(service.sampled(7, i, 0.6) for i in range(2000) if draws[i])
    assert 500 < sum(draws) < 700  # about 30%
    assert all(service.sampled(7, i, 1.0) for i in range(2000))
    assert not any(service.sampled(7, i, 0.0) for i in range(2000))


# --- merge and links -------------------------------------------------------------------------


def test_merge_folds_duplicates_into_the_survivor(db: Database, workspace: WorkspaceCtx) -> None:
    ws, admin = workspace.id, workspace.admin_id
    buyer, stranger = customer(db, ws), customer(db, ws)
    target = new_case(db, ws, customer_id=buyer, title="电话：屏幕坏了")
    dup_mail = new_case(db, ws, customer_id=buyer, title="邮件：屏幕坏了")
    dup_anon = new_case(db, ws, title="网页：屏幕坏了")
    child = new_case(db, ws, title="同批次屏幕")
    with db.session() as s:
        service.add_entry(s, ws, dup_mail, "note", "客户附了照片", actor_id=admin)
        service.link(s, ws, dup_mail, [child], actor_id=admin)
        service.change_status(s, ws, dup_anon, "in_progress", actor_id=admin)
        service.merge(s, ws, target, [dup_mail, dup_anon, dup_mail], actor_id=admin)
    for dup, old in ((dup_mail, "new"), (dup_anon, "in_progress")):
        case = load(db, ws, dup)
        assert (case.status, case.merged_into_id) == ("closed", target)
        assert case.closed_at is not None
        [(_, data, _)] = [e for e in events_of(db, ws, dup) if e[0] == "merged"]
        assert data == {"into": target, "from_status": old}
    assert load(db, ws, child).parent_id == target
    timeline = events_of(db, ws, target)
    assert ("note", {}, "客户附了照片") in timeline
    assert ("merged", {"merged": [dup_mail, dup_anon]}, "") in timeline
    assert sum(1 for k, _, _ in timeline if k == "created") == 3
    with db.session() as s:
        listed = set(
            s.scalars(service.case_query(ws, service.CaseFilter()).with_only_columns(Case.id))
        )
    assert listed == {target, child}
    # refused: twice, into itself, into a duplicate, another customer's case
    other = new_case(db, ws, customer_id=buyer)
    with pytest.raises(Conflict), db.session() as s:
        service.merge(s, ws, other, [dup_mail], actor_id=admin)
    assert load(db, ws, dup_mail).merged_into_id == target
    detail = bad_request(lambda s: service.merge(s, ws, target, [target], actor_id=admin), db)
    assert "not including the target" in detail
    detail = bad_request(lambda s: service.merge(s, ws, target, [], actor_id=admin), db)
    assert "not including the target" in detail
    detail = bad_request(lambda s: service.merge(s, ws, dup_anon, [other], actor_id=admin), db)
    assert detail == f"case {dup_anon} was itself merged into {target}"
    theirs = new_case(db, ws, customer_id=stranger)
    detail = bad_request(
        lambda s: service.merge(s, ws, target, [other, theirs], actor_id=admin), db
    )
    assert detail == f"case {theirs} belongs to another customer: link it instead"
    # nothing of the refused merge stayed (not even the first, acceptable, duplicate)
    assert load(db, ws, other).merged_into_id is None
    assert load(db, ws, other).status == "new"
    detail = bad_request(
        lambda s: service.change_status(s, ws, dup_mail, "reopened", actor_id=admin), db
    )
    assert detail == f"case {dup_mail} was merged into {target}; work there"
    # nor is a duplicate handed over or reclassified: the survivor owns the work
    for change in (
        lambda s: service.assign(s, ws, dup_mail, admin, actor_id=admin, reason="x"),
        lambda s: service.classify(
            s, ws, dup_mail, category="other", product_line_id=None, actor_id=admin
        ),
    ):
        assert bad_request(change, db) == f"case {dup_mail} was merged into {target}; work there"


def test_merging_a_survivor_keeps_its_own_duplicates_timelines(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    first, second, final = new_case(db, ws), new_case(db, ws), new_case(db, ws)
    with db.session() as s:
        service.add_entry(s, ws, first, "message", "第一次来电", actor_id=None)
        service.merge(s, ws, second, [first], actor_id=None)
        service.merge(s, ws, final, [second], actor_id=None)
    assert ("message", {}, "第一次来电") in events_of(db, ws, final)
    assert load(db, ws, first).merged_into_id == final
    with db.session() as s:
        merged = set(s.scalars(select(Case.id).where(Case.merged_into_id == final)))
    assert merged == {first, second}


def test_merge_never_makes_a_case_its_own_ancestor(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    top, middle, bottom = new_case(db, ws), new_case(db, ws), new_case(db, ws)
    with db.session() as s:
        service.link(s, ws, top, [middle], actor_id=None)
        service.link(s, ws, middle, [bottom], actor_id=None)
    for target, source in ((middle, top), (bottom, top), (bottom, middle)):
        detail = refused(db, service.merge, ws, target, [source], actor_id=None)
        assert detail == f"case {source} is an ancestor of {target}: unlink it before merging"
    assert [load(db, ws, i).parent_id for i in (top, middle, bottom)] == [None, top, middle]


def test_links_refuse_cycles(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    a, b, c, d = (new_case(db, ws, title=t) for t in "abcd")
    with db.session() as s:
        service.link(s, ws, a, [b], actor_id=None)
        service.link(s, ws, b, [c, d], actor_id=None)
    for parent, child in ((c, a), (c, b), (b, a), (d, b)):
        detail = refused(db, service.link, ws, parent, [child], actor_id=None)
        assert detail == f"case {child} is an ancestor of {parent}: that is a cycle"
    detail = bad_request(lambda s: service.link(s, ws, a, [a], actor_id=None), db)
    assert "not including the parent" in detail
    assert [load(db, ws, i).parent_id for i in (a, b, c, d)] == [None, a, b, b]
    with db.session() as s:
        service.unlink(s, ws, d, actor_id=None)
        service.link(s, ws, c, [d], actor_id=None)  # a sibling may become a child
    assert load(db, ws, d).parent_id == c
    with db.session() as s:
        service.unlink(s, ws, d, actor_id=None)
    detail = bad_request(lambda s: service.unlink(s, ws, d, actor_id=None), db)
    assert detail == f"case {d} has no parent"


# --- second reviews and agreement ------------------------------------------------------------


def test_second_review_and_agreement(db: Database, workspace: WorkspaceCtx) -> None:
    ws, admin = workspace.id, workspace.admin_id
    reviewer = user(db, ws, "qa@rev.test", role="manager")
    set_conf(db, ws, review_share=1.0)
    with db.session() as s:
        tv = create_product_line(s, ws, "tv", "电视").id
        phone = create_product_line(s, ws, "phone", "手机").id
    # (first category, first line, second category, second line)
    plan = [
        ("product_quality", tv, "product_quality", tv),
        ("product_quality", tv, "service_policy", tv),
        ("service_policy", None, "service_policy", None),
        ("work_quality", None, "work_quality", None),
        ("product_quality", tv, "product_quality", phone),  # same category, another line
    ]
    ids = []
    for first_cat, first_line, _, _ in plan:
        case_id = new_case(db, ws)
        with db.session() as s:
            service.classify(
                s, ws, case_id, category=first_cat, product_line_id=first_line, actor_id=admin
            )
        ids.append(case_id)
    unreviewed = new_case(db, ws)
    with db.session() as s:
        service.classify(s, ws, unreviewed, category="other", product_line_id=None, actor_id=admin)
    with db.session() as s:
        empty = service.agreement(s, ws)
    assert (empty.reviewed, empty.rate, empty.kappa, empty.queued) == (0, None, None, 6)
    # the person who classified a case cannot be its second reviewer
    detail = bad_request(
        lambda s: service.submit_review(
            s, ws, ids[0], reviewer_id=admin, category="other", product_line_id=None
        ),
        db,
    )
    assert detail == "a second review must be done by someone else"
    unclassified = new_case(db, ws)
    detail = bad_request(
        lambda s: service.submit_review(
            s, ws, unclassified, reviewer_id=reviewer, category="other", product_line_id=None
        ),
        db,
    )
    assert "has not been classified yet" in detail
    for case_id, (_, _, cat, line) in zip(ids, plan, strict=True):
        with db.session() as s:
            review = service.submit_review(
                s, ws, case_id, reviewer_id=reviewer, category=cat, product_line_id=line,
                note=" 复核 ",
            )  # fmt: skip
            assert review.note == "复核"
    with pytest.raises(Conflict), db.session() as s:
        service.submit_review(
            s, ws, ids[0], reviewer_id=reviewer, category="other", product_line_id=None
        )
    assert count(db, CaseReview, ws) == 5
    assert [load(db, ws, i).review_status for i in ids] == ["reviewed"] * 5
    with db.session() as s:
        a = service.agreement(s, ws)
    # rate: cell agreement 3/5. kappa on the category: po = 4/5; first marginals pq 3/5,
    # sp 1/5, wq 1/5; second pq 2/5, sp 2/5, wq 1/5; pe = (6 + 2 + 1)/25 = 0.36;
    # kappa = (0.8 - 0.36) / (1 - 0.36) = 0.6875
    assert (a.reviewed, a.agreed, a.queued) == (5, 3, 1)
    assert a.rate == pytest.approx(0.6)
    assert a.kappa == pytest.approx(0.6875)


# --- acknowledgement -------------------------------------------------------------------------


def test_a_complaint_from_a_conversation_is_acknowledged_there_once(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    conv = conversation(db, ws)
    with db.session() as s:
        post_message(s, ws, NewMessage(conversation_id=conv, sender_type="customer", body="坏了"))
    set_conf(db, ws, due_hours={"high": 12})
    with db.session() as s:
        case, _ = service.create_case(
            s,
            ws,
            Intake(title="坏了", conversation_id=conv, severity="high", source="conversation"),
        )
        case_id = case.id
    case = load(db, ws, case_id)
    text = f"您好，您的投诉已受理（编号 C{case_id:06d}），我们会在 12 小时内处理并答复您。"
    assert messages(db, ws, conv) == [("customer", "坏了"), ("system", text)]
    assert case.status == "acknowledged"
    assert case.acknowledged_at is not None and case.customer_notified_at is not None
    assert ("customer_notified", {"via": "conversation"}, text) in events_of(db, ws, case_id)
    # no mail is asked for: the customer was answered in the conversation
    assert count(db, OutboxEvent, ws, OutboxEvent.type == "case.acknowledgement") == 0
    with db.session() as s:
        again, created = service.create_case(s, ws, Intake(title="坏了", conversation_id=conv))
        assert (again.id, created) == (case_id, False)
        service.acknowledge(s, again, None)  # a second acknowledgement is the same message
    assert len(messages(db, ws, conv)) == 2


def test_other_complaints_ask_for_a_mail_and_inquiries_are_not_acknowledged(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    buyer = customer(db, ws, email="buyer@example.com")
    complaint = new_case(db, ws, customer_id=buyer, notify=True, source="email")
    inquiry = new_case(db, ws, customer_id=buyer, notify=True, kind="inquiry")
    assert load(db, ws, complaint).status == "acknowledged"
    assert load(db, ws, complaint).customer_notified_at is None  # nobody has written yet
    assert load(db, ws, inquiry).status == "new"
    with db.session() as s:
        payloads = list(
            s.scalars(
                select(OutboxEvent.payload).where(
                    OutboxEvent.workspace_id == ws, OutboxEvent.type == "case.acknowledgement"
                )
            )
        )
    assert [p["case_id"] for p in payloads] == [complaint]
    assert payloads[0]["customer_id"] == buyer and f"C{complaint:06d}" in payloads[0]["text"]
    assert [k for k, _, _ in events_of(db, ws, inquiry)] == ["created"]


# --- cases from labelled conversations -------------------------------------------------------


def case_of(db: Database, ws: int, conv: int) -> Case | None:
    with db.session() as s:
        found = s.scalar(select(Case).where(Case.workspace_id == ws, Case.conversation_id == conv))
        if found is not None:
            s.expunge(found)
        return found


def test_a_conversation_labelled_complaint_becomes_a_case(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    agent = user(db, ws, "agent@conv.test")
    buyer = customer(db, ws, tier="key_account")
    labelled = conversation(
        db, ws, kind="email", customer_id=buyer, subject="洗衣机漏水", labels=["complaint"],
        assignee_id=agent,
    )  # fmt: skip
    plain = conversation(db, ws, subject="咨询尺码", labels=["vip", "complaints"])
    later = conversation(db, ws, subject="退款太慢")
    idea = conversation(db, ws, subject="建议加夜间客服", labels=["suggestion"])
    drain_events(db)
    case = case_of(db, ws, labelled)
    assert case is not None
    assert (case.kind, case.source, case.title, case.owner_id) == (
        "complaint",
        "conversation",
        "洗衣机漏水",
        agent,
    )
    assert (case.customer_id, case.customer_tier, case.channel_kind) == (
        buyer,
        "key_account",
        "email",
    )
    assert case_of(db, ws, plain) is None and case_of(db, ws, later) is None
    suggestion = case_of(db, ws, idea)
    assert suggestion is not None and suggestion.kind == "suggestion"
    assert messages(db, ws, idea) == []  # only complaints are acknowledged
    acks = [m for m in messages(db, ws, labelled) if m[0] == "system"]
    assert len(acks) == 1 and f"C{case.id:06d}" in acks[0][1]
    # resolving / closing the conversations later: no second case, no second message
    with db.session() as s:
        update_conversation(s, ws, labelled, status="resolved")
        update_conversation(s, ws, plain, status="resolved")
        update_conversation(s, ws, later, labels=["complaint:退款"], status="closed")
    drain_events(db)
    drain_events(db)
    assert count(db, Case, ws, Case.conversation_id == labelled) == 1
    assert len([m for m in messages(db, ws, labelled) if m[0] == "system"]) == 1
    assert case_of(db, ws, plain) is None
    late = case_of(db, ws, later)
    assert late is not None and (late.kind, late.title) == ("complaint", "退款太慢")
    assert count(db, Case, ws) == 3
    with db.session() as s:
        created = s.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.workspace_id == ws, CaseEvent.kind == "created")
        )
    assert created == 3
