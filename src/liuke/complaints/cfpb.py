"""Read the public CFPB consumer-complaint sample and map it onto liuke's complaint grid.

Data: ``shared/data/cfpb_complaints_sample/complaints_sample.csv``, a random sample of the
US Consumer Financial Protection Bureau's complaint database (6,623 complaints received
2015-04-06 to 2020-03-19, 1,532 with a consumer narrative). The file starts with two stray
``unzip`` console lines; ``read_cfpb`` skips everything before the header row, so a clean CFPB
export reads too.

Product line (``PRODUCT_LINES``). The CFPB renamed its products in April 2017; both names of a
product map to one code, so a time series does not break at the rename:

- ``credit_reporting`` (征信报告 / Credit reporting): Credit reporting; Credit reporting, credit
  repair services, or other personal consumer reports
- ``cards`` (信用卡与预付卡 / Credit and prepaid cards): Credit card; Prepaid card; Credit card or
  prepaid card
- ``bank_accounts`` (银行账户 / Bank accounts): Bank account or service; Checking or savings
  account
- ``debt_collection`` (催收 / Debt collection): Debt collection
- ``mortgage`` (房贷 / Mortgages): Mortgage
- ``student_loan`` (助学贷款 / Student loans): Student loan
- ``consumer_loans`` (消费贷款 / Consumer loans): Consumer Loan; Vehicle loan or lease; Payday
  loan; Payday loan, title loan, or personal loan; Payday loan, title loan, personal loan, or
  advance loan
- ``money_services`` (汇款与支付 / Money transfer and services): Money transfers; Virtual
  currency; Money transfer, virtual currency, or money service
- ``other`` (其他 / Other): anything else (e.g. Other financial service, Debt or credit
  management) and empty

Consumer loans are one line: "Consumer Loan" (pre-2017) covered vehicle and installment loans
alike, so vehicle and payday/personal loans cannot be told apart across the rename.

Category (``ISSUE_CATEGORY``): ordered keyword rules over the raw Issue text, first match wins,
read as a bank's complaint manager would sort them:

1. work_quality: ``investigation`` -- a company's handling of a dispute the consumer already
   raised (it did not fix it, did not answer in time): the work done on the case, not the product.
2. product_quality: ``identity theft protection``, ``monitoring services``, ``fraud alerts``,
   ``security freeze`` -- paid or promised protection features that did not work (checked before
   rule 3 so the word "fraud"/"identity theft" in them does not send them to other).
3. other: ``fraud``, ``scam``, ``identity theft``, ``embezzlement``, ``unauthorized``,
   ``didn't apply``, ``improper use of your report`` -- crime and misuse of the consumer's data
   (mostly unrecognised inquiries) are a security/compliance matter, not a cell of the grid.
4. work_quality: ``communication tactics``, ``threat`` (threatened negative or legal action,
   threatened to contact someone), ``false statements``, ``misrepresent``, ``customer service``,
   ``service problem``, ``can't contact``, ``improper contact``, ``sharing of info``,
   ``debt not owed`` (collecting from the wrong person, or a paid or discharged debt: a work
   error), ``processing delay`` -- staff conduct and work errors.
5. service_policy: ``fee``, ``interest``, ``funds being low`` (overdraft/NSF rules), ``closing``
   / ``opening`` an account, ``getting a/the`` card or loan, ``applying``, ``application``,
   ``closing on`` a mortgage, ``struggling`` to pay / ``unable to pay`` (hardship and
   modification rules), ``dealing with your lender``, ``terms``, ``advertising``, ``marketing``,
   ``disclosure``, ``written notification`` (the collector's validation notice),
   ``credit limit``, ``settlement``, ``shopping``, ``modification``, ``foreclosure``,
   ``underwriting``, ``credit decision``, ``rewards``, ``APR`` -- the rules, prices and terms the
   company applies, including collection practices a policy allows.
6. product_quality: ``incorrect``, ``report``, ``credit score``, ``managing``, ``payment``,
   ``purchase``, ``transaction``, ``statement``, ``card``, ``transfer``, ``money``, ``payoff``,
   ``end of the loan``, ``lease``, ``credited``, ``damaged``, ``add-on``, ``account``,
   ``billing``, ``servicing``, ``escrow``, ``deposit``, ``withdrawal``, ``wallet``, ``ATM`` --
   the product or account not working as promised: wrong information on a report, payments not
   processed or credited, problems using the card or account.
7. other: anything else (the issue "Other", empty).

Issues naming two things ("Managing, opening, or closing your mobile wallet account",
"Account opening, closing, or management") go to service_policy, because rule 5 comes first.

Resulting distribution on the sample (all 6,623 rows / the 1,532 with a narrative):

- category: product_quality 3,341 / 655; work_quality 1,746 / 472; service_policy 1,145 / 305;
  other 391 / 100. Every issue value in the file is matched by rules 1-6 except the single
  issue "Other" (1 row).
- product line: credit_reporting 3,503 / 761; debt_collection 1,231 / 289; bank_accounts
  488 / 94; cards 483 / 122; mortgage 465 / 129; consumer_loans 200 / 63; student_loan
  160 / 45; money_services 93 / 29; other 0 / 0.
- channel: web 5,770; phone 482; email 371. Relief: explanation 5,557; non_monetary 779;
  monetary 211; none 41; in_progress 35.

Channel (``CHANNELS``, from "Submitted via"): Web and Referral -> web (a referral arrives from
another agency's web intake); Email, Postal mail and Fax -> email (written, asynchronous);
Phone -> phone; anything else (new values, empty) -> web, the CFPB's main intake. "api" is
never produced: the CFPB has no API intake.

Relief (``RELIEF``, from "Company response to consumer"): Closed with monetary relief ->
monetary; Closed with non-monetary relief and the pre-2017 "Closed with relief" -> non_monetary;
Closed with explanation -> explanation; In progress -> in_progress; Closed, Closed without
relief, Untimely response and anything else -> none.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "CHANNEL_KINDS",
    "ISSUE_CATEGORY",
    "PRODUCT_LINES",
    "PRODUCT_LINE_CODES",
    "PRODUCT_LINE_NAMES",
    "RELIEF",
    "RELIEF_KINDS",
    "CfpbComplaint",
    "IssueRule",
    "channel_kind",
    "issue_category",
    "issue_rule",
    "product_line",
    "read_cfpb",
    "relief_kind",
]

CATEGORIES: Final = ("product_quality", "service_policy", "work_quality", "other")
CHANNEL_KINDS: Final = ("web", "email", "api", "phone")
RELIEF_KINDS: Final = ("monetary", "non_monetary", "explanation", "none", "in_progress")
SAMPLE_FILE: Final = Path("cfpb_complaints_sample") / "complaints_sample.csv"
"""Where the sample lies under the shared data folder."""

PRODUCT_LINES: Final[dict[str, str]] = {
    "Credit reporting": "credit_reporting",
    "Credit reporting, credit repair services, or other personal consumer reports": (
        "credit_reporting"
    ),
    "Credit card": "cards",
    "Prepaid card": "cards",
    "Credit card or prepaid card": "cards",
    "Bank account or service": "bank_accounts",
    "Checking or savings account": "bank_accounts",
    "Debt collection": "debt_collection",
    "Mortgage": "mortgage",
    "Student loan": "student_loan",
    "Consumer Loan": "consumer_loans",
    "Vehicle loan or lease": "consumer_loans",
    "Payday loan": "consumer_loans",
    "Payday loan, title loan, or personal loan": "consumer_loans",
    "Payday loan, title loan, personal loan, or advance loan": "consumer_loans",
    "Money transfers": "money_services",
    "Virtual currency": "money_services",
    "Money transfer, virtual currency, or money service": "money_services",
}
"""Raw CFPB product (old and new names) -> product-line code; unlisted products -> "other"."""

PRODUCT_LINE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "credit_reporting": ("征信报告", "Credit reporting"),
    "cards": ("信用卡与预付卡", "Credit and prepaid cards"),
    "bank_accounts": ("银行账户", "Bank accounts"),
    "debt_collection": ("催收", "Debt collection"),
    "mortgage": ("房贷", "Mortgages"),
    "student_loan": ("助学贷款", "Student loans"),
    "consumer_loans": ("消费贷款", "Consumer loans"),
    "money_services": ("汇款与支付", "Money transfer and services"),
    "other": ("其他", "Other"),
}
"""Display name per code: (Chinese, English)."""

PRODUCT_LINE_CODES: Final = tuple(PRODUCT_LINE_NAMES)

_PRODUCT_LOOKUP = {k.casefold(): v for k, v in PRODUCT_LINES.items()}


def product_line(product: str) -> str:
    """Product-line code of a raw CFPB product (case and outer spaces ignored)."""
    return _PRODUCT_LOOKUP.get(product.strip().casefold(), "other")


@dataclass(frozen=True)
class IssueRule:
    """Issue texts matching ``pattern`` (case-insensitive search) belong to ``category``."""

    category: str
    pattern: re.Pattern[str]
    why: str


def _rule(category: str, words: tuple[str, ...], why: str) -> IssueRule:
    return IssueRule(category, re.compile("|".join(words), re.IGNORECASE), why)


ISSUE_CATEGORY: Final[tuple[IssueRule, ...]] = (
    _rule("work_quality", (r"investigation",), "handling of an existing dispute"),
    _rule(
        "product_quality",
        (
            r"identity theft protection",
            r"monitoring services",
            r"fraud alerts?",
            r"security freezes?",
        ),
        "protection feature did not work",
    ),
    _rule(
        "other",
        (
            r"fraud",
            r"scam",
            r"identity theft",
            r"embezzlement",
            r"unauthori[sz]ed",
            r"didn'?t apply",
            r"improper use of your report",
        ),
        "crime or misuse of data",
    ),
    _rule(
        "work_quality",
        (
            r"communication tactics",
            r"threat",
            r"false statements?",
            r"misrepresent",
            r"customer service",
            r"service problem",
            r"can'?t contact",
            r"improper contact",
            r"sharing of info",
            r"debt not owed",
            r"processing delay",
        ),
        "staff conduct or work error",
    ),
    _rule(
        "service_policy",
        (
            r"\bfees?\b",
            r"interest",
            r"funds (?:being )?low",
            r"closing (?:an|your|the) account",
            r"closing an account",
            r"opening",
            r"getting (?:a|an|the)\b",
            r"applying",
            r"application",
            r"closing on",
            r"struggling",
            r"unable to pay",
            r"dealing with your lender",
            r"terms",
            r"advertising",
            r"marketing",
            r"disclosure",
            r"written notification",
            r"credit limit",
            r"settlement",
            r"shopping",
            r"modification",
            r"foreclosure",
            r"underwriting",
            r"credit decision",
            r"rewards",
            r"\bapr\b",
        ),
        "rules, prices and terms",
    ),
    _rule(
        "product_quality",
        (
            r"incorrect",
            r"report",
            r"credit score",
            r"managing",
            r"payment",
            r"purchase",
            r"transaction",
            r"statement",
            r"\bcard\b",
            r"transfer",
            r"money",
            r"payoff",
            r"end of the loan",
            r"\blease\b",
            r"credited",
            r"damaged",
            r"add-on",
            r"account",
            r"billing",
            r"servicing",
            r"escrow",
            r"deposit",
            r"withdrawal",
            r"wallet",
            r"\batm\b",
        ),
        "product or account not working as promised",
    ),
)
"""Ordered rules, first match wins; no match -> "other". Rationale in the module docstring."""


def issue_rule(issue: str) -> IssueRule | None:
    """The first rule matching a raw CFPB issue, or None (then the category is "other")."""
    for rule in ISSUE_CATEGORY:
        if rule.pattern.search(issue):
            return rule
    return None


def issue_category(issue: str) -> str:
    """One of ``CATEGORIES`` for a raw CFPB issue."""
    rule = issue_rule(issue)
    return rule.category if rule is not None else "other"


CHANNELS: Final[dict[str, str]] = {
    "Web": "web",
    "Referral": "web",
    "Web Referral": "web",
    "Email": "email",
    "Postal mail": "email",
    "Fax": "email",
    "Phone": "phone",
}
"""Raw "Submitted via" -> channel kind; anything else -> "web" (the CFPB's main intake)."""
_CHANNEL_LOOKUP = {k.casefold(): v for k, v in CHANNELS.items()}


def channel_kind(submitted_via: str) -> str:
    return _CHANNEL_LOOKUP.get(submitted_via.strip().casefold(), "web")


RELIEF: Final[dict[str, str]] = {
    "Closed with monetary relief": "monetary",
    "Closed with non-monetary relief": "non_monetary",
    "Closed with relief": "non_monetary",
    "Closed with explanation": "explanation",
    "In progress": "in_progress",
    "Closed": "none",
    "Closed without relief": "none",
    "Untimely response": "none",
}
"""Raw "Company response to consumer" -> relief kind; anything else -> "none"."""
_RELIEF_LOOKUP = {k.casefold(): v for k, v in RELIEF.items()}


def relief_kind(company_response: str) -> str:
    return _RELIEF_LOOKUP.get(company_response.strip().casefold(), "none")


@dataclass(frozen=True)
class CfpbComplaint:
    """One CFPB complaint: raw fields kept beside the liuke codes they map to."""

    complaint_id: str
    received: date
    product: str
    product_line: str
    sub_product: str
    issue: str
    sub_issue: str
    category: str
    narrative: str
    submitted_via: str
    channel_kind: str
    company: str
    state: str
    zip: str
    tags: tuple[str, ...]
    timely: bool
    company_response: str
    relief: str
    disputed: bool | None
    sent_to_company: date | None


HEADER_START: Final = "Date received"


def _date(value: str) -> date:
    """ISO (the sample) or MM/DD/YYYY (older CFPB exports)."""
    v = value.strip()
    if "/" in v:
        return datetime.strptime(v, "%m/%d/%Y").date()
    return date.fromisoformat(v)


def _yes_no(value: str) -> bool | None:
    v = value.strip().casefold()
    return True if v == "yes" else False if v == "no" else None


def _tags(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in value.split(",") if t.strip())


def from_row(row: dict[str, str]) -> CfpbComplaint:
    """Map one CSV row (header names as the CFPB writes them) to a ``CfpbComplaint``."""

    def get(name: str) -> str:
        return (row.get(name) or "").strip()

    product = get("Product")
    issue = get("Issue")
    via = get("Submitted via")
    response = get("Company response to consumer")
    sent = get("Date sent to company")
    return CfpbComplaint(
        complaint_id=get("Complaint ID"),
        received=_date(get("Date received")),
        product=product,
        product_line=product_line(product),
        sub_product=get("Sub-product"),
        issue=issue,
        sub_issue=get("Sub-issue"),
        category=issue_category(issue),
        narrative=get("Consumer complaint narrative"),
        submitted_via=via,
        channel_kind=channel_kind(via),
        company=get("Company"),
        state=get("State"),
        zip=get("ZIP code"),
        tags=_tags(get("Tags")),
        timely=_yes_no(get("Timely response?")) is True,
        company_response=response,
        relief=relief_kind(response),
        disputed=_yes_no(get("Consumer disputed?")),
        sent_to_company=_date(sent) if sent else None,
    )


def read_cfpb(path: Path) -> list[CfpbComplaint]:
    """All complaints of a CFPB CSV export, in file order.

    ``path`` is the CSV, its ``cfpb_complaints_sample`` folder or the shared data folder. Lines
    before the header (the sample's two stray ``unzip`` lines) are skipped.
    """
    if path.is_dir():
        candidates = [path / SAMPLE_FILE, path / SAMPLE_FILE.name]
        path = next((p for p in candidates if p.exists()), candidates[0])
    with path.open(encoding="utf-8-sig", newline="") as f:
        while True:
            line = f.readline()
            if not line:
                raise ValueError(f"{path}: no header row starting with {HEADER_START!r}")
            if line.startswith(HEADER_START):
                header = next(csv.reader([line]))
                break
        return [from_row(row) for row in csv.DictReader(f, fieldnames=header)]
