"""What every importer produces and what an import reports.

An importer only *parses*: it turns a file into :class:`ParsedConversation` objects, or raises
``BadRequest`` when the file is not in its format. Writing is done once, for every format, by
:mod:`liuke.imports.service` through the domain services, so no format can bypass their rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from liuke.core.errors import BadRequest

EXAMPLES_PER_REASON = 5

# Reasons that mean "this line is not a row of the format at all" (as opposed to a row of the
# format with bad content). When most rows fail this way the file is in the wrong format.
STRUCTURAL = "malformed row"


@dataclass
class ParsedMessage:
    line: int  # 1-based line in the file where the row starts, for reports
    key: str  # idempotency key, stable across runs of the same file
    sender: Literal["customer", "agent"]
    body: str
    agent_key: str | None = None  # which import user posts it (agent messages only)
    created_at: datetime | None = None  # None: the format has no timestamps
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedConversation:
    external_id: str
    customer_external_id: str
    customer_name: str
    messages: list[ParsedMessage]
    subject: str = ""
    created_at: datetime | None = None
    transferred: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    line: int
    detail: str


@dataclass
class Tally:
    """Counts per reason plus the first few examples of each, with line numbers."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Example]] = field(default_factory=dict)

    def add(self, reason: str, line: int, detail: str = "", n: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + n
        shown = self.examples.setdefault(reason, [])
        if len(shown) < EXAMPLES_PER_REASON:
            shown.append(Example(line, detail))

    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            reason: {
                "count": n,
                "examples": [
                    {"line": e.line, "detail": e.detail} for e in self.examples.get(reason, [])
                ],
            }
            for reason, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        }


@dataclass
class ParsedFile:
    conversations: list[ParsedConversation]
    rows_read: int
    skipped: Tally
    notes: Tally


@dataclass(frozen=True)
class ChannelSpec:
    kind: str
    name: str
    platform: str


@dataclass(frozen=True)
class AgentSpec:
    email: str
    name: str


class Importer(Protocol):
    """A file format: how to parse it and where its conversations land."""

    name: str
    description: str
    channel: ChannelSpec
    customer_system: str  # ExternalRef.system for the customers it identifies

    def parse(self, path: Path) -> ParsedFile:
        """Parse and validate the whole file; raise ``BadRequest`` if it is not this format."""
        ...

    def agent(self, agent_key: str) -> AgentSpec:
        """The import user that posts the replies of ``agent_key`` (a company, a shop)."""
        ...


def read_text(path: Path, fmt: str) -> str:
    """Read a whole export as UTF-8, refusing empty, binary and non-UTF-8 files up front.

    An encoding problem affects every row of a file, so it is a file-level error rather than a
    pile of skipped rows (and importing mojibake would be worse than importing nothing).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadRequest(detail=f"file not found: {path}") from None
    except IsADirectoryError:
        raise BadRequest(detail=f"{path} is a directory, not a {fmt} file") from None
    except OSError as exc:
        raise BadRequest(detail=f"cannot read {path}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise BadRequest(detail=f"{path.name} is empty; expected a {fmt} export")
    if b"\x00" in raw[:65536]:
        raise BadRequest(detail=f"{path.name} is a binary file, not a {fmt} export (NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            detail=f"{path.name} is not UTF-8 text (invalid byte at offset {exc.start}); "
            f"expected a UTF-8 {fmt} export"
        ) from None
    return text.removeprefix("\ufeff")


def check_structure(fmt: str, rows_read: int, valid_rows: int, skipped: Tally) -> None:
    """Fail before any write when the rows do not look like this format at all.

    A few broken lines are normal in real exports and are skipped; a file where most lines are
    not rows of the format (or none is usable) is the wrong file, and importing its few
    accidental matches would only create junk.
    """
    malformed = skipped.counts.get(STRUCTURAL, 0)
    first = skipped.examples.get(STRUCTURAL, [])
    hint = f" (line {first[0].line}: {first[0].detail})" if first else ""
    if malformed * 2 > rows_read:
        raise BadRequest(
            detail=f"not a {fmt} export: {malformed} of {rows_read} rows are malformed{hint}"
        )
    if valid_rows == 0:
        raise BadRequest(detail=f"no usable {fmt} rows in the file{hint}")


def preview(text: str, limit: int = 80) -> str:
    """A one-line, bounded excerpt of untrusted text for error messages and reports."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
