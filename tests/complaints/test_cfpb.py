"""The CFPB sample reader and its mappings onto liuke's grid (hand rows and the real file)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from liuke.complaints import cfpb
from liuke.complaints.cfpb import (
    CATEGORIES,
    CHANNEL_KINDS,
    PRODUCT_LINE_CODES,
    PRODUCT_LINE_NAMES,
    PRODUCT_LINES,
    RELIEF_KINDS,
    channel_kind,
    from_row,
    issue_category,
    product_line,
    read_cfpb,
    relief_kind,
)
from tests.conftest import require_data

HEADER = (
    "Date received,Product,Sub-product,Issue,Sub-issue,Consumer complaint narrative,"
    "Company public response,Company,State,ZIP code,Tags,Consumer consent provided?,"
    "Submitted via,Date sent to company,Company response to consumer,Timely response?,"
    "Consumer disputed?,Complaint ID"
)


def _row(**fields: str) -> dict[str, str]:
    base = dict.fromkeys(HEADER.split(","), "")
    base.update({"Date received": "2019-05-01", "Complaint ID": "1", **fields})
    return base


def test_product_lines_merge_old_and_new_names() -> None:
    assert product_line("Credit reporting") == product_line(
        "Credit reporting, credit repair services, or other personal consumer reports"
    )
    assert {
        product_line(p) for p in ("Credit card", "Prepaid card", "Credit card or prepaid card")
    } == {"cards"}
    assert product_line("Bank account or service") == "bank_accounts"
    assert product_line("Checking or savings account") == "bank_accounts"
    assert (
        product_line("Vehicle loan or lease") == product_line("Consumer Loan") == "consumer_loans"
    )
    assert product_line("  debt collection ") == "debt_collection"
    assert product_line("Timeshares") == product_line("") == "other"
    assert set(PRODUCT_LINES.values()) <= set(PRODUCT_LINE_CODES)
    for zh, en in PRODUCT_LINE_NAMES.values():
        assert zh and en and zh != en


@pytest.mark.parametrize(
    ("issue", "expected"),
    [
        ("Incorrect information on your report", "product_quality"),
        ("Trouble during payment process", "product_quality"),
        ("Problem with fraud alerts or security freezes", "product_quality"),
        ("Credit monitoring or identity theft protection services", "product_quality"),
        (
            "Problem with a credit reporting company's investigation into an existing problem",
            "work_quality",
        ),
        ("Communication tactics", "work_quality"),
        ("Took or threatened to take negative or legal action", "work_quality"),
        ("Attempts to collect debt not owed", "work_quality"),
        ("False statements or representation", "work_quality"),
        ("Fees or interest", "service_policy"),
        ("Closing an account", "service_policy"),
        ("Struggling to pay mortgage", "service_policy"),
        ("Written notification about debt", "service_policy"),
        ("Fraud or scam", "other"),
        ("Improper use of your report", "other"),
        ("Identity theft / Fraud / Embezzlement", "other"),
        ("Other", "other"),
        ("", "other"),
        ("Something never seen before", "other"),
    ],
)
def test_issue_categories(issue: str, expected: str) -> None:
    assert issue_category(issue) == expected


def test_channels_and_relief() -> None:
    assert [
        channel_kind(v) for v in ("Web", "Referral", "Email", "Postal mail", "Fax", "Phone")
    ] == [
        "web",
        "web",
        "email",
        "email",
        "email",
        "phone",
    ]
    assert channel_kind("Carrier pigeon") == channel_kind("") == "web"
    assert relief_kind("Closed with monetary relief") == "monetary"
    assert relief_kind("Closed with non-monetary relief") == "non_monetary"
    assert relief_kind("Closed with explanation") == "explanation"
    assert relief_kind("In progress") == "in_progress"
    assert {relief_kind(v) for v in ("Closed", "Untimely response", "", "?")} == {"none"}


def test_hand_written_rows_map_into_the_allowed_sets() -> None:
    rows = [
        _row(
            Product="Debt collection",
            Issue="Communication tactics",
            **{
                "Submitted via": "Phone",
                "Tags": "Older American, Servicemember",
                "Timely response?": "Yes",
                "Consumer disputed?": "No",
                "Company response to consumer": "Closed with monetary relief",
                "Date sent to company": "2019-05-02",
                "Consumer complaint narrative": "  They called me at work ten times.  ",
            },
        ),
        _row(
            Product="Unknown new product",
            Issue="Brand new issue",
            **{"Date received": "03/19/2020"},
        ),
    ]
    a, b = (from_row(r) for r in rows)
    assert (a.product_line, a.category, a.channel_kind, a.relief) == (
        "debt_collection",
        "work_quality",
        "phone",
        "monetary",
    )
    assert a.tags == ("Older American", "Servicemember")
    assert (a.timely, a.disputed, a.sent_to_company) == (True, False, date(2019, 5, 2))
    assert a.narrative == "They called me at work ten times."
    assert (b.product_line, b.category, b.channel_kind, b.relief) == (
        "other",
        "other",
        "web",
        "none",
    )
    assert (b.received, b.timely, b.disputed, b.tags, b.sent_to_company) == (
        date(2020, 3, 19),
        False,
        None,
        (),
        None,
    )
    for c in (a, b):
        assert c.product_line in PRODUCT_LINE_CODES
        assert c.category in CATEGORIES
        assert c.channel_kind in CHANNEL_KINDS
        assert c.relief in RELIEF_KINDS


def test_reads_a_file_with_stray_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    body = '2020-01-02,Mortgage,,Fees or interest,,"line one\nline two",,Bank,CA,,,,Fax,,Closed,No,N/A,42\n'
    path.write_text("Archive:  x.zip\n  inflating: complaints.csv\n" + HEADER + "\n" + body)
    (c,) = read_cfpb(path)
    assert (c.complaint_id, c.product_line, c.category, c.channel_kind) == (
        "42",
        "mortgage",
        "service_policy",
        "email",
    )
    assert c.narrative == "line one\nline two"
    (tmp_path / "empty.csv").write_text("nothing here\n")
    with pytest.raises(ValueError, match="header"):
        read_cfpb(tmp_path / "empty.csv")


@pytest.fixture(scope="module")
def real() -> list[cfpb.CfpbComplaint]:
    return read_cfpb(require_data("cfpb_complaints_sample", "complaints_sample.csv"))


def test_real_file(real: list[cfpb.CfpbComplaint]) -> None:
    assert len(real) == 6623
    assert sum(1 for c in real if c.narrative) == 1532
    assert len({c.complaint_id for c in real}) == len(real)
    assert min(c.received for c in real) == date(2015, 4, 6)
    assert max(c.received for c in real) == date(2020, 3, 19)
    assert {c.product_line for c in real} <= set(PRODUCT_LINE_CODES)
    assert {c.category for c in real} <= set(CATEGORIES)
    assert {c.channel_kind for c in real} <= set(CHANNEL_KINDS)
    assert {c.relief for c in real} <= set(RELIEF_KINDS)
    assert sum(c.timely for c in real) == 6529
    assert Counter(c.disputed for c in real) == {None: 6591, False: 23, True: 9}


def test_real_file_every_issue_has_a_rule(real: list[cfpb.CfpbComplaint]) -> None:
    unmatched = {c.issue for c in real if cfpb.issue_rule(c.issue) is None}
    assert unmatched == {"Other"}
    assert not [c.product for c in real if c.product_line == "other"]  # every product is known
    assert Counter(c.category for c in real) == {
        "product_quality": 3341,
        "work_quality": 1746,
        "service_policy": 1145,
        "other": 391,
    }


def test_reads_the_shared_data_folder_too(real: list[cfpb.CfpbComplaint]) -> None:
    folder = require_data("cfpb_complaints_sample")
    assert len(read_cfpb(folder)) == len(real)
    assert len(read_cfpb(folder.parent)) == len(real)
