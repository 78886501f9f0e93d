"""The report of one import run: what was created, what was already there, what was skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liuke.imports.base import Tally


@dataclass
class ImportResult:
    """Every row read ends up as a message (created or already present) or as a skipped row."""

    fmt: str
    path: str
    channel: str = ""
    rows_read: int = 0
    conversations_created: int = 0
    conversations_existing: int = 0
    messages_created: int = 0
    messages_existing: int = 0
    customers_created: int = 0
    customers_matched: int = 0
    agents_created: int = 0
    agents_existing: int = 0
    skipped: Tally = field(default_factory=Tally)
    notes: Tally = field(default_factory=Tally)
    elapsed_s: float = 0.0

    @property
    def rows_skipped(self) -> int:
        return self.skipped.total()

    @property
    def conversations(self) -> int:
        return self.conversations_created + self.conversations_existing

    def summary(self) -> str:
        lines = [
            f"import {self.fmt} from {self.path} into channel {self.channel!r} "
            f"({self.elapsed_s:.1f} s)",
            f"rows read: {self.rows_read}",
            f"conversations created: {self.conversations_created}",
            f"conversations already present: {self.conversations_existing}",
            f"messages created: {self.messages_created}",
            f"messages already present: {self.messages_existing}",
            f"customers created: {self.customers_created}",
            f"customers matched: {self.customers_matched}",
            f"import agents created: {self.agents_created}",
            f"import agents reused: {self.agents_existing}",
            f"rows skipped: {self.rows_skipped}",
        ]
        lines += _tally_lines(self.skipped, "  skipped")
        lines += _tally_lines(self.notes, "note")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.fmt,
            "path": self.path,
            "channel": self.channel,
            "elapsed_s": round(self.elapsed_s, 3),
            "rows_read": self.rows_read,
            "conversations": {
                "created": self.conversations_created,
                "already_present": self.conversations_existing,
            },
            "messages": {
                "created": self.messages_created,
                "already_present": self.messages_existing,
            },
            "customers": {"created": self.customers_created, "matched": self.customers_matched},
            "import_agents": {"created": self.agents_created, "reused": self.agents_existing},
            "rows_skipped": self.rows_skipped,
            "skipped": self.skipped.as_dict(),
            "notes": self.notes.as_dict(),
        }


def _tally_lines(tally: Tally, prefix: str) -> list[str]:
    out = []
    for reason, info in tally.as_dict().items():
        shown = "; ".join(
            f"line {e['line']}" + (f": {e['detail']}" if e["detail"] else "")
            for e in info["examples"][:3]
        )
        out.append(f"{prefix} — {reason}: {info['count']}" + (f" (e.g. {shown})" if shown else ""))
    return out
