"""Parsing and validation, without a database: threading rules, skipped rows, wrong files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liuke.core.errors import BadRequest
from liuke.imports import IMPORTERS
from liuke.imports.base import STRUCTURAL
from liuke.imports.twcs import SHARED_AGENT, TwcsImporter, parse_created_at

WriteTwcs = Callable[..., Path]
WriteJddc = Callable[..., Path]


def at(hms: str) -> str:
    return f"Tue Oct 31 {hms} +0000 2017"


twcs = IMPORTERS["twcs"]
jddc = IMPORTERS["jddc"]


def detail(exc: pytest.ExceptionInfo[BadRequest]) -> str:
    return str(exc.value.params["detail"])


# --- twcs -----------------------------------------------------------------------------------


def test_created_at_is_parsed_with_its_offset() -> None:
    assert parse_created_at("Tue Oct 31 22:10:47 +0000 2017") == datetime(
        2017, 10, 31, 22, 10, 47, tzinfo=UTC
    )
    shifted = parse_created_at("Wed Nov 01 06:10:47 +0800 2017")
    assert shifted == datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)
    for bad in ("yesterday", "Tue Oct 32 22:10:47 +0000 2017", "Tue Foo 31 22:10:47 +0000 2017"):
        assert parse_created_at(bad) is None


def test_thread_rooted_at_customer_collects_every_reply(write_twcs: WriteTwcs) -> None:
    path = write_twcs(
        [
            (12, "acme", False, at("10:02:00"), "@900 sorry, DM us", 11),
            (11, "900", True, at("10:00:00"), "@acme my order is late", None),
            (13, "900", True, at("10:05:00"), "@acme done", 12),
            (14, "901", True, at("10:06:00"), "@acme @900 same here", 12),
        ]
    )
    parsed = twcs.parse(path)
    assert parsed.rows_read == 4 and parsed.skipped.total() == 0
    [conv] = parsed.conversations
    assert conv.external_id == "11"
    assert conv.customer_external_id == "900"
    assert conv.created_at == datetime(2017, 10, 31, 10, 0, tzinfo=UTC)
    assert [m.key for m in conv.messages] == ["twcs:11", "twcs:12", "twcs:13", "twcs:14"]
    assert [m.sender for m in conv.messages] == ["customer", "agent", "customer", "customer"]
    assert conv.messages[1].agent_key == SHARED_AGENT  # one import user for every company
    assert conv.messages[3].meta["author_id"] == "901"  # a second customer joined
    assert conv.meta["company"] == "acme" and "partial" not in conv.meta


def test_one_import_user_per_company_on_request(write_twcs: WriteTwcs) -> None:
    path = write_twcs(
        [
            (1, "900", True, at("10:00:00"), "@acme @bolt both broken", None),
            (2, "acme", False, at("10:01:00"), "@900 sorry", 1),
            (3, "bolt", False, at("10:02:00"), "@900 looking", 1),
        ]
    )
    importer = TwcsImporter(agent_per_company=True)
    [conv] = importer.parse(path).conversations
    assert [m.agent_key for m in conv.messages] == [None, "acme", "bolt"]
    assert conv.meta["company"] == "acme" and conv.meta["companies"] == ["acme", "bolt"]
    assert importer.agent("AmazonHelp").email == "twcs-amazonhelp@import.liuke.invalid"
    odd = importer.agent("ACME Café")
    assert odd.email.startswith("twcs-acme-caf-") and odd.name == "ACME Café"
    assert importer.agent(SHARED_AGENT).email == "twcs-agent@import.liuke.invalid"


def test_broadcast_is_split_into_one_conversation_per_customer(write_twcs: WriteTwcs) -> None:
    path = write_twcs(
        [
            (1, "acme", False, at("09:00:00"), "Halloween deals!", None),
            (2, "900", True, at("09:10:00"), "@acme nice", 1),
            (3, "901", True, at("09:11:00"), "@acme broken link", 1),
            (4, "acme", False, at("09:20:00"), "@901 fixed", 3),
            (5, "acme", False, at("09:30:00"), "Reminder: deals end soon", 1),
        ]
    )
    parsed = twcs.parse(path)
    convs = {c.external_id: c for c in parsed.conversations}
    assert set(convs) == {"2", "3"}
    assert [m.key for m in convs["3"].messages] == ["twcs:3", "twcs:4"]
    assert convs["3"].meta["reply_to_company_tweet"] == "1"
    reason = "company tweet outside any customer thread"
    assert parsed.skipped.counts == {reason: 2}
    assert [e.line for e in parsed.skipped.examples[reason]] == [2, 6]


def test_missing_parent_roots_a_partial_thread_and_is_reported(write_twcs: WriteTwcs) -> None:
    path = write_twcs(
        [
            (20, "acme", False, at("11:00:00"), "@902 please DM us", 19),  # 19 not in file
            (21, "902", True, at("11:01:00"), "@acme ok", 20),
            (30, "acme", False, at("12:00:00"), "@903 sorry", 29),  # no customer at all
        ]
    )
    parsed = twcs.parse(path)
    [conv] = parsed.conversations
    assert conv.external_id == "20" and conv.customer_external_id == "902"
    assert conv.meta["partial"] is True and conv.meta["missing_parent_tweet_id"] == "19"
    assert conv.created_at == datetime(2017, 10, 31, 11, 0, tzinfo=UTC)
    [note] = parsed.notes.counts.items()
    assert note[1] == 1 and "partial thread" in note[0]  # the customer-less one is skipped
    assert parsed.skipped.counts == {"thread without a customer tweet": 1}
    assert parsed.skipped.examples["thread without a customer tweet"][0].line == 4


def test_bad_rows_are_skipped_with_reason_and_line(write_twcs: WriteTwcs) -> None:
    path = write_twcs(
        [
            (1, "900", True, at("10:00:00"), "@acme help", None),
            (2, "acme", False, "31/10/2017 10:01", "@900 hi", 1),
            (3, "900", True, at("10:02:00"), "   ", 1),
            (4, "900", "maybe", at("10:03:00"), "@acme ?", 1),
            (1, "900", True, at("10:04:00"), "@acme dup", None),
            (5, "acme", False, at("10:05:00"), "@900 sorry", 1),
        ],
        extra='6,7,acme,False,"Tue Oct 31 10:06:00 +0000 2017"\n\n',
    )
    parsed = twcs.parse(path)
    assert parsed.rows_read == 7
    assert parsed.skipped.counts == {
        "unparseable date": 1,
        "missing text": 1,
        "bad inbound flag": 1,
        "duplicate tweet_id": 1,
        STRUCTURAL: 1,
    }
    lines = {r: [e.line for e in ex] for r, ex in parsed.skipped.examples.items()}
    assert lines == {
        "unparseable date": [3],
        "missing text": [4],
        "bad inbound flag": [5],
        "duplicate tweet_id": [6],
        STRUCTURAL: [8],
    }
    [conv] = parsed.conversations
    assert [m.key for m in conv.messages] == ["twcs:1", "twcs:5"]


def test_official_header_without_index_column(tmp_path: Path) -> None:
    path = tmp_path / "official.csv"
    path.write_text(
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        f"1,900,True,{at('10:00:00')},@acme hi,2,\n"
        f"2,acme,False,{at('10:01:00')},@900 hello,,1\n",
        encoding="utf-8",
    )
    [conv] = twcs.parse(path).conversations
    assert len(conv.messages) == 2


# --- jddc -----------------------------------------------------------------------------------


def test_jddc_sessions_keep_file_order_and_flags(write_jddc: WriteJddc) -> None:
    path = write_jddc(
        [
            ("s1", "u1", "0", "0", "0", "nan", "你好，我的订单[订单x]还没到"),
            ("s1", "u1", "1", "0", "0", "nan", "亲，这边帮您查询一下"),
            ("s2", "u2", "0", "1", "1", "4803822", "退货怎么办"),
            ("s1", "u1", "0", "0", "0", "nan", "好的\t谢谢"),  # a tab inside the text
            ("s2", "u2", "1", "1", "0", "4803822", "NULL"),
        ]
    )
    parsed = jddc.parse(path)
    assert parsed.rows_read == 5
    assert parsed.skipped.counts == {"no content (NULL: nobody replied in this turn)": 1}
    s1, s2 = parsed.conversations
    assert [m.key for m in s1.messages] == ["jddc:s1:1", "jddc:s1:2", "jddc:s1:3"]
    assert [m.sender for m in s1.messages] == ["customer", "agent", "customer"]
    assert s1.messages[2].body == "好的\t谢谢"
    assert s1.meta == {"source": "jddc", "timestamps": "absent"}
    assert s1.created_at is None and all(m.created_at is None for m in s1.messages)
    assert s2.transferred and s2.meta["transferred"] is True and s2.meta["skus"] == ["4803822"]
    assert s2.messages[0].meta == {"sku": "4803822", "is_repeated": True}


def test_jddc_bad_lines_are_skipped(write_jddc: WriteJddc) -> None:
    path = write_jddc(
        [
            ("s1", "u1", "0", "0", "0", "nan", "在吗"),
            ("s1", "u1", "2", "0", "0", "nan", "bad flag"),
            "s1\tu1\t0",
            ("s1", "u1", "1", "0", "0", "nan", " "),
            ("s1", "u1", "1", "0", "0", "nan", "在的"),
        ]
    )
    parsed = jddc.parse(path)
    assert parsed.skipped.counts == {"bad 0/1 flag": 1, STRUCTURAL: 1, "missing text": 1}
    assert parsed.skipped.examples[STRUCTURAL][0].line == 3
    [conv] = parsed.conversations
    assert [m.body for m in conv.messages] == ["在吗", "在的"]


# --- wrong files ----------------------------------------------------------------------------


def test_twcs_file_given_as_jddc_is_refused(write_twcs: WriteTwcs) -> None:
    path = write_twcs([(1, "900", True, at("10:00:00"), "@acme hi", None)])
    with pytest.raises(BadRequest) as exc:
        jddc.parse(path)
    assert "not a jddc export: 2 of 2 rows are malformed (line 1:" in detail(exc)


def test_jddc_file_given_as_twcs_is_refused(write_jddc: WriteJddc) -> None:
    path = write_jddc([("s1", "u1", "0", "0", "0", "nan", "在吗")])
    with pytest.raises(BadRequest) as exc:
        twcs.parse(path)
    assert "not a twcs export" in detail(exc)


def test_wrong_delimiter_is_named(tmp_path: Path) -> None:
    path = tmp_path / "twcs.tsv"
    path.write_text(
        "\ttweet_id\tauthor_id\tinbound\tcreated_at\ttext\tresponse_tweet_id\t"
        "in_response_to_tweet_id\n0\t1\t900\tTrue\tx\thi\t\t\n",
        encoding="utf-8",
    )
    with pytest.raises(BadRequest) as exc:
        twcs.parse(path)
    assert "separated by tabs" in detail(exc)


@pytest.mark.parametrize("fmt", ["twcs", "jddc"])
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        ("会话\t客户\n".encode("gbk"), "not UTF-8"),
    ],
)
def test_empty_binary_and_non_utf8_files_are_refused(
    tmp_path: Path, fmt: str, content: bytes, expected: str
) -> None:
    path = tmp_path / "export"
    path.write_bytes(content)
    with pytest.raises(BadRequest) as exc:
        IMPORTERS[fmt].parse(path)
    assert expected in detail(exc)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadRequest) as exc:
        twcs.parse(tmp_path / "nope.csv")
    assert "file not found" in detail(exc)
