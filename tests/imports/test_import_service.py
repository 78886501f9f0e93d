"""run_import on small synthetic files, on SQLite and PostgreSQL: what lands where, and what not."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from liuke.conversations.models import Channel, Conversation, Message
from liuke.core.db import Database
from liuke.core.errors import BadRequest, NotFound
from liuke.customers.models import CustomerExternalId
from liuke.imports import IMPORTERS, run_import
from liuke.imports.twcs import TwcsImporter
from liuke.workspaces.models import User
from tests.conftest import WorkspaceCtx

WriteFile = Callable[..., Path]
Counts = Callable[[int], dict[str, int]]


def at(hms: str) -> str:
    return f"Tue Oct 31 {hms} +0000 2017"


def utc(hms: str) -> datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime(2017, 10, 31, h, m, s, tzinfo=UTC)


THREAD = [
    (1, "900", True, at("10:00:00"), "@acme my parcel is lost", None),
    (2, "acme", False, at("10:03:20"), "@900 sorry! DM us your order number", 1),
    (3, "900", True, at("10:05:00"), "@acme sent", 2),
    (4, "acme", False, at("10:09:00"), "@900 refund issued", 3),
]
OTHER = [
    (10, "901", True, at("11:00:00"), "@bolt app crashes", None),
    (11, "bolt", False, at("11:30:00"), "@901 which version?", 10),
]


def conversations(db: Database, ws: int) -> dict[str, Conversation]:
    with db.session() as s:
        return {
            c.external_id or "": c
            for c in s.scalars(select(Conversation).filter_by(workspace_id=ws))
        }


def messages(db: Database, conv_id: int) -> list[Message]:
    with db.session() as s:
        q = select(Message).where(Message.conversation_id == conv_id).order_by(Message.seq)
        return list(s.scalars(q))


def test_twcs_thread_lands_with_real_times_agents_and_customer(
    db: Database, workspace: WorkspaceCtx, write_twcs: WriteFile
) -> None:
    result = run_import(db, workspace.id, "twcs", write_twcs(THREAD + OTHER))
    assert (result.conversations_created, result.messages_created) == (2, 6)
    assert (result.customers_created, result.agents_created) == (2, 1)

    conv = conversations(db, workspace.id)["1"]
    assert conv.created_at == utc("10:00:00")
    assert conv.first_response_at == utc("10:03:20")  # 200 s first response
    assert conv.last_message_at == utc("10:09:00")
    assert conv.status == "closed" and conv.closed_at == utc("10:09:00")
    assert conv.message_count == 4 and conv.meta["company"] == "acme"
    msgs = messages(db, conv.id)
    assert [m.idempotency_key for m in msgs] == ["twcs:1", "twcs:2", "twcs:3", "twcs:4"]
    assert [m.created_at for m in msgs] == [utc(t[3][11:19]) for t in THREAD]
    with db.session() as s:
        channel = s.get(Channel, conv.channel_id)
        assert channel is not None and (channel.kind, channel.platform) == ("api", "twitter")
        agent = s.get(User, msgs[1].sender_user_id)
        assert agent is not None and conv.assignee_id == agent.id
        assert not agent.is_active and agent.max_concurrent_chats == 0
        assert agent.role.name == "agent" and agent.email.endswith("@import.liuke.invalid")
        assert msgs[1].meta["author_id"] == "acme"
        ref = s.scalar(
            select(CustomerExternalId).where(CustomerExternalId.customer_id == conv.customer_id)
        )
        assert ref is not None and (ref.system, ref.external_id) == ("twitter", "900")


def test_second_run_adds_nothing(
    db: Database, workspace: WorkspaceCtx, write_twcs: WriteFile, table_counts: Counts
) -> None:
    path = write_twcs(THREAD + OTHER)
    run_import(db, workspace.id, "twcs", path)
    before = table_counts(workspace.id)
    again = run_import(db, workspace.id, "twcs", path)
    assert table_counts(workspace.id) == before  # not even an outbox event
    assert (again.conversations_created, again.conversations_existing) == (0, 2)
    assert (again.messages_created, again.messages_existing) == (0, 6)
    assert (again.customers_created, again.customers_matched) == (0, 2)
    assert (again.agents_created, again.agents_existing) == (0, 1)


def test_one_agent_per_company_when_asked(
    db: Database,
    workspace: WorkspaceCtx,
    write_twcs: WriteFile,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(IMPORTERS, "twcs", TwcsImporter(agent_per_company=True))
    path = write_twcs(THREAD + OTHER)
    assert run_import(db, workspace.id, "twcs", path).agents_created == 2
    assert run_import(db, workspace.id, "twcs", path).agents_existing == 2
    convs = conversations(db, workspace.id)
    with db.session() as s:
        names = {
            ext: s.scalar(select(User.name).where(User.id == c.assignee_id))
            for ext, c in convs.items()
        }
    assert names == {"1": "acme", "10": "bolt"}


def test_a_grown_thread_gets_only_its_new_messages(
    db: Database, workspace: WorkspaceCtx, write_twcs: WriteFile
) -> None:
    run_import(db, workspace.id, "twcs", write_twcs(THREAD[:2], name="a.csv"))
    result = run_import(db, workspace.id, "twcs", write_twcs(THREAD, name="b.csv"))
    assert (result.messages_created, result.messages_existing) == (2, 2)
    conv = conversations(db, workspace.id)["1"]
    assert [m.seq for m in messages(db, conv.id)] == [1, 2, 3, 4]
    assert conv.status == "closed" and conv.closed_at == utc("10:09:00")


def test_jddc_session_has_order_transfer_and_no_times(
    db: Database, workspace: WorkspaceCtx, write_jddc: WriteFile
) -> None:
    path = write_jddc(
        [
            ("s1", "USERID_1", "0", "1", "0", "nan", "我要退货"),
            ("s1", "USERID_1", "1", "1", "0", "nan", "亲，已为您转接售后"),
            ("s1", "USERID_1", "0", "1", "0", "nan", "好的"),
            ("s2", "USERID_2", "0", "0", "0", "123", "发票怎么开"),
        ]
    )
    result = run_import(db, workspace.id, "jddc", path)
    assert (result.conversations_created, result.messages_created) == (2, 4)
    convs = conversations(db, workspace.id)
    s1, s2 = convs["s1"], convs["s2"]
    assert s1.meta["timestamps"] == "absent" and s2.meta["timestamps"] == "absent"
    assert (s1.transfer_count, s2.transfer_count) == (1, 0)
    assert s1.assignee_id is not None and s2.assignee_id is None  # s2 never got an answer
    assert [m.body for m in messages(db, s1.id)] == ["我要退货", "亲，已为您转接售后", "好的"]
    assert [m.sender_type for m in messages(db, s1.id)] == ["customer", "agent", "customer"]


WRONG_FILES: dict[str, tuple[str, bytes | None]] = {
    "jddc file as twcs": ("twcs", None),
    "twcs file as jddc": ("jddc", None),
    "empty file": ("twcs", b""),
    "binary file": ("jddc", bytes(range(256)) * 64),
}


@pytest.mark.parametrize("case", list(WRONG_FILES))
def test_wrong_files_fail_before_writing(
    db: Database,
    workspace: WorkspaceCtx,
    write_twcs: WriteFile,
    write_jddc: WriteFile,
    table_counts: Counts,
    tmp_path: Path,
    case: str,
) -> None:
    fmt, content = WRONG_FILES[case]
    if case == "jddc file as twcs":
        path = write_jddc([("s1", "u1", "0", "0", "0", "nan", "在吗")] * 3)
    elif case == "twcs file as jddc":
        path = write_twcs(THREAD)
    else:
        path = tmp_path / "upload.bin"
        path.write_bytes(content or b"")
    before = table_counts(workspace.id)
    with pytest.raises(BadRequest) as exc:
        run_import(db, workspace.id, fmt, path)
    assert exc.value.params["detail"]
    assert table_counts(workspace.id) == before


def test_unknown_format_and_workspace(
    db: Database, workspace: WorkspaceCtx, tmp_path: Path
) -> None:
    with pytest.raises(BadRequest):
        run_import(db, workspace.id, "xlsx", tmp_path / "x.xlsx")
    path = tmp_path / "ok.csv"
    path.write_text(
        ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        f"0,1,900,True,{at('10:00:00')},@acme hi,,\n",
        encoding="utf-8",
    )
    with pytest.raises(NotFound):
        run_import(db, 999_999_999, "twcs", path)


def test_bad_rows_are_reported_and_never_abort(
    db: Database, workspace: WorkspaceCtx, write_twcs: WriteFile
) -> None:
    rows = [
        *THREAD,
        (5, "acme", False, "not a date", "@900 hello?", 1),
        (6, "900", True, at("10:10:00"), "", 4),
    ]
    result = run_import(db, workspace.id, "twcs", write_twcs(rows, extra="7,8,900,True\n"))
    assert result.messages_created == 4
    assert result.rows_read == 7 and result.rows_skipped == 3
    assert result.skipped.counts == {"unparseable date": 1, "missing text": 1, "malformed row": 1}
    assert [e.line for e in result.skipped.examples["unparseable date"]] == [6]
    summary = result.summary()
    assert "rows skipped: 3" in summary and "unparseable date: 1 (e.g. line 6" in summary
    report = json.loads(json.dumps(result.as_dict()))
    assert report["skipped"]["missing text"]["examples"][0]["line"] == 7
    assert report["messages"] == {"created": 4, "already_present": 0}


def test_a_refused_conversation_is_skipped_and_the_rest_imported(
    db: Database, workspace: WorkspaceCtx, write_twcs: WriteFile
) -> None:
    run_import(db, workspace.id, "twcs", write_twcs(THREAD, name="first.csv"))
    edited = [*THREAD[:1], (2, "acme", False, at("10:03:20"), "@900 edited text", 1), *OTHER]
    result = run_import(db, workspace.id, "twcs", write_twcs(edited, name="edited.csv"))
    reason = "refused by the conversation services"
    assert result.skipped.counts == {reason: 2}  # both rows of the thread whose tweet changed
    assert "idempotency key" in result.skipped.examples[reason][0].detail
    assert (result.conversations_created, result.messages_created) == (1, 2)
    convs = conversations(db, workspace.id)
    assert set(convs) == {"1", "10"} and convs["1"].message_count == 4


def test_progress_counts_every_conversation(
    db: Database, workspace: WorkspaceCtx, write_jddc: WriteFile
) -> None:
    path = write_jddc([(f"s{i}", f"u{i}", "0", "0", "0", "nan", f"问题 {i}") for i in range(5)])
    calls: list[tuple[int, int | None]] = []
    run_import(
        db, workspace.id, "jddc", path, progress=lambda d, t: calls.append((d, t)), chunk_size=2
    )
    assert calls == [(i, 5) for i in range(6)]


def test_existing_channel_of_that_name_is_reused(
    db: Database, workspace: WorkspaceCtx, write_jddc: WriteFile
) -> None:
    from liuke.conversations.service import create_channel

    with db.session() as s:
        mine = create_channel(s, workspace.id, "api", "JDDC 导入", platform="jd").id
    run_import(db, workspace.id, "jddc", write_jddc([("s1", "u1", "0", "0", "0", "nan", "在吗")]))
    assert conversations(db, workspace.id)["s1"].channel_id == mine
