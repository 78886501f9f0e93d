"""Customer Support on Twitter (Kaggle "twcs.csv"): tweets rebuilt into conversations.

Threading rule (bottom-up over ``in_response_to_tweet_id``), so that every conversation starts
with a customer and response-time metrics measure the company's reply to that customer:

* a customer tweet that replies to nothing roots a conversation, and every reply below it
  (company or customer) joins it;
* a company tweet that replies to nothing is a broadcast (a promotion, an outage notice): it is
  not a conversation, but each customer reply to it roots one, keeping the broadcast's id in
  ``meta["reply_to_company_tweet"]``;
* a tweet whose parent is not in the file (the sample is a prefix of a larger dump, or the
  parent row was skipped) roots a *partial* conversation at the earliest tweet available;
  these are reported and flagged ``meta["partial"] = True`` because their true start, and so
  their first-response time, is unknown;
* a thread with no customer tweet at all is skipped and reported.

The conversation's customer is the root tweet's author (or the first customer in a partial
thread); other customers who joined keep their id in each message's ``meta["author_id"]``.

Company replies are posted by one import user for all companies by default; the company stays
in ``meta["company"]`` (conversation) and ``meta["author_id"]`` (message). One user *per
company* (``TwcsImporter(agent_per_company=True)``) makes per-agent metrics compare companies,
but ``create_user`` argon2-hashes a password for each of them (76 in the sample: 20-45 s here,
more than the rest of the import), so it waits for password-less system users.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from liuke.conversations.service import MAX_BODY_CHARS
from liuke.core.errors import BadRequest
from liuke.imports.base import (
    STRUCTURAL,
    AgentSpec,
    ChannelSpec,
    ParsedConversation,
    ParsedFile,
    ParsedMessage,
    Tally,
    check_structure,
    preview,
    read_text,
)

COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
INDEX_NAMES = ("", "index", "unnamed: 0")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_DATE = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) "
    r"([+-])(\d{2})(\d{2}) (\d{4})$"
)
_ID = re.compile(r"^\d{1,30}$")
_PARENT = re.compile(r"^(\d{1,30})(?:\.0*)?$")  # pandas wrote the column as floats: "3.0"
_MENTION = re.compile(r"@(\w{1,50})")
_HANDLE_OK = re.compile(r"[^a-z0-9_]")


def parse_created_at(value: str) -> datetime | None:
    """Parse Twitter's '%a %b %d %H:%M:%S %z %Y' without depending on the process locale."""
    m = _DATE.match(value.strip())
    if m is None or m.group(1) not in _MONTHS:
        return None
    mon, day, hh, mm, ss, sign, oh, om, year = m.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    try:
        return datetime(
            int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset)
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class Tweet:
    line: int
    id: int
    author: str
    inbound: bool
    at: datetime
    text: str
    parent: int | None


SHARED_AGENT = "@companies"  # not a Twitter handle, so it cannot collide with one


class TwcsImporter:
    name = "twcs"
    description = "Customer Support on Twitter (twcs.csv)"
    channel = ChannelSpec(kind="api", name="Twitter 导入", platform="twitter")
    customer_system = "twitter"

    def __init__(self, agent_per_company: bool = False) -> None:
        self.agent_per_company = agent_per_company

    def agent(self, agent_key: str) -> AgentSpec:
        """The import user for ``agent_key``: the shared one, or one per company handle."""
        if agent_key == SHARED_AGENT:
            return AgentSpec(email="twcs-agent@import.liuke.invalid", name="Twitter 客服（导入）")
        local = _HANDLE_OK.sub("-", agent_key.lower())[:60]
        if local != agent_key.lower():  # keep distinct handles distinct after cleaning
            local += "-" + hashlib.sha256(agent_key.encode()).hexdigest()[:8]
        return AgentSpec(email=f"twcs-{local}@import.liuke.invalid", name=agent_key[:200])

    def parse(self, path: Path) -> ParsedFile:
        text = read_text(path, self.name)
        skipped, notes = Tally(), Tally()
        tweets, rows_read = self._read_rows(text, path, skipped)
        check_structure(self.name, rows_read, len(tweets), skipped)
        conversations = _thread(tweets, skipped, notes, self.agent_per_company)
        return ParsedFile(conversations, rows_read, skipped, notes)

    def _read_rows(self, text: str, path: Path, skipped: Tally) -> tuple[list[Tweet], int]:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except (StopIteration, csv.Error) as exc:
            raise BadRequest(detail=f"{path.name}: no twcs header ({exc})") from None
        index = _column_index(header, text)
        width = len(header)
        tweets: list[Tweet] = []
        seen: set[int] = set()
        rows_read = 0
        line_end = reader.line_num
        while True:
            start = line_end + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. an unterminated quote swallowing the rest
                raise BadRequest(detail=f"{path.name} line {start}: broken CSV ({exc})") from None
            line_end = reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank line
            rows_read += 1
            if len(record) != width:
                skipped.add(
                    STRUCTURAL,
                    start,
                    f"{len(record)} fields, expected {width}: {preview(','.join(record))}",
                )
                continue
            tweet = _tweet(start, {c: record[i] for c, i in index.items()}, skipped)
            if tweet is None:
                continue
            if tweet.id in seen:
                skipped.add("duplicate tweet_id", start, f"tweet {tweet.id}")
                continue
            seen.add(tweet.id)
            tweets.append(tweet)
        return tweets, rows_read


def _column_index(header: list[str], text: str) -> dict[str, int]:
    """Accept the official 7 columns, optionally after pandas' unnamed index column."""
    names = [h.strip().lower() for h in header]
    if tuple(names) == COLUMNS:
        return {c: i for i, c in enumerate(COLUMNS)}
    if tuple(names[1:]) == COLUMNS and names[0] in INDEX_NAMES:
        return {c: i + 1 for i, c in enumerate(COLUMNS)}
    first = text.split("\n", 1)[0].rstrip("\r")
    for delim, label in (("\t", "tabs"), (";", "semicolons"), ("|", "pipes")):
        parts = tuple(p.strip().lower() for p in first.split(delim))
        if parts[-len(COLUMNS) :] == COLUMNS:
            raise BadRequest(detail=f"twcs file separated by {label}; expected commas (CSV)")
    raise BadRequest(
        detail="not a twcs export: expected the header "
        f"{','.join(COLUMNS)!r} (optionally after an index column), "
        f"line 1 is {preview(first)!r}"
    )


def _tweet(line: int, row: dict[str, str], skipped: Tally) -> Tweet | None:
    raw_id = row["tweet_id"].strip()
    if not _ID.match(raw_id):
        skipped.add("bad tweet_id", line, preview(raw_id) or "(empty)")
        return None
    author = row["author_id"].strip()
    if not author or len(author) > 150:
        skipped.add("missing or bad author_id", line, f"tweet {raw_id}")
        return None
    flag = row["inbound"].strip().lower()
    if flag not in ("true", "false"):
        skipped.add("bad inbound flag", line, f"tweet {raw_id}: {preview(flag) or '(empty)'}")
        return None
    at = parse_created_at(row["created_at"])
    if at is None:
        skipped.add("unparseable date", line, f"tweet {raw_id}: {preview(row['created_at'])!r}")
        return None
    body = row["text"]
    if not body.strip():
        skipped.add("missing text", line, f"tweet {raw_id}")
        return None
    if len(body) > MAX_BODY_CHARS:
        skipped.add("text too long", line, f"tweet {raw_id}: {len(body)} characters")
        return None
    parent_raw = row["in_response_to_tweet_id"].strip()
    parent: int | None = None
    if parent_raw:
        m = _PARENT.match(parent_raw)
        if m is None:
            skipped.add("bad in_response_to_tweet_id", line, f"tweet {raw_id}: {parent_raw!r}")
            return None
        parent = int(m.group(1))
    return Tweet(line, int(raw_id), author, flag == "true", at, body, parent)


def _roots(tweets: list[Tweet]) -> dict[int, int | None]:
    """Map each tweet to the tweet that roots its conversation, or None (see module doc)."""
    by_id = {t.id: t for t in tweets}
    root: dict[int, int | None] = {}
    for t in tweets:
        path: list[Tweet] = []
        on_path: set[int] = set()
        cur: Tweet | None = t
        while cur is not None and cur.id not in root:
            path.append(cur)
            on_path.add(cur.id)
            parent = by_id.get(cur.parent) if cur.parent is not None else None
            cur = None if parent is None or parent.id in on_path else parent
        for node in reversed(path):  # resolve from the top down
            if node.parent is None:
                root[node.id] = node.id if node.inbound else None
            elif node.parent not in root:  # parent absent from the file (or a cycle)
                root[node.id] = node.id
            else:
                above = root[node.parent]
                root[node.id] = above if above is not None else (node.id if node.inbound else None)
    return root


def _thread(
    tweets: list[Tweet], skipped: Tally, notes: Tally, per_company: bool
) -> list[ParsedConversation]:
    by_id = {t.id: t for t in tweets}
    root_of = _roots(tweets)
    groups: dict[int, list[Tweet]] = {}
    for t in tweets:
        r = root_of[t.id]
        if r is None:
            skipped.add(
                "company tweet outside any customer thread",
                t.line,
                f"tweet {t.id} by {t.author}: {preview(t.text, 60)}",
            )
            continue
        groups.setdefault(r, []).append(t)
    out: list[ParsedConversation] = []
    for root_id, members in sorted(groups.items(), key=lambda kv: by_id[kv[0]].line):
        members.sort(key=lambda t: (t.at, t.id))
        conv = _conversation(by_id[root_id], members, by_id, skipped, notes, per_company)
        if conv is not None:
            out.append(conv)
    return out


def _conversation(
    root: Tweet,
    members: list[Tweet],
    by_id: dict[int, Tweet],
    skipped: Tally,
    notes: Tally,
    per_company: bool,
) -> ParsedConversation | None:
    customers = [t for t in members if t.inbound]
    if not customers:
        for t in members:
            skipped.add(
                "thread without a customer tweet",
                t.line,
                f"tweet {t.id} by {t.author} (thread from tweet {root.id})",
            )
        return None
    owner = root if root.inbound else customers[0]
    companies = list(dict.fromkeys(t.author for t in members if not t.inbound))
    mention = _MENTION.search(owner.text)
    company = companies[0] if companies else (mention.group(1) if mention else "")
    meta: dict[str, object] = {"source": "twcs", "company": company, "root_tweet_id": str(root.id)}
    if len(companies) > 1:
        meta["companies"] = companies
    if root.parent is not None and root.parent not in by_id:
        meta["partial"] = True
        meta["missing_parent_tweet_id"] = str(root.parent)
        notes.add(
            "partial thread: parent tweet not in the file (rooted at earliest tweet available)",
            root.line,
            f"tweet {root.id} replies to missing tweet {root.parent}",
        )
    elif root.parent is not None:
        meta["reply_to_company_tweet"] = str(root.parent)
    messages = [
        ParsedMessage(
            line=t.line,
            key=f"twcs:{t.id}",
            sender="customer" if t.inbound else "agent",
            body=t.text,
            agent_key=None if t.inbound else (t.author if per_company else SHARED_AGENT),
            created_at=t.at,
            meta=_message_meta(t),
        )
        for t in members
    ]
    return ParsedConversation(
        external_id=str(root.id),
        customer_external_id=owner.author,
        customer_name=f"@{owner.author}",
        messages=messages,
        subject=preview(owner.text, 120),
        created_at=members[0].at,
        meta=meta,
    )


def _message_meta(t: Tweet) -> dict[str, object]:
    meta: dict[str, object] = {"tweet_id": str(t.id), "author_id": t.author}
    if t.parent is not None:
        meta["in_reply_to"] = str(t.parent)
    return meta
