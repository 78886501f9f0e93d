"""conversation intent and timing_known columns for the metric catalogue

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _backfill() -> None:
    """Derive both columns from the meta that importers and the simulator already wrote.

    Python rather than SQL so that SQLite and PostgreSQL read the JSON the same way; the rules
    live in ``liuke.conversations.models`` and are copied here so this revision never changes.
    """
    conn = op.get_bind()
    conversations = sa.table(
        "conversations",
        sa.column("id", sa.BigInteger),
        sa.column("meta", sa.JSON),
        sa.column("intent", sa.String),
        sa.column("timing_known", sa.Boolean),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(conversations.c.id, conversations.c.meta)
            .where(conversations.c.id > last)
            .order_by(conversations.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        updates = []
        for conv_id, meta in rows:
            meta = meta or {}
            intent = meta.get("intent")
            updates.append(
                {
                    "cid": conv_id,
                    "intent": intent[:64] if isinstance(intent, str) and intent else None,
                    "known": meta.get("timestamps") != "absent" and not meta.get("partial"),
                }
            )
        conn.execute(
            conversations.update()
            .where(conversations.c.id == sa.bindparam("cid"))
            .values(intent=sa.bindparam("intent"), timing_known=sa.bindparam("known")),
            updates,
        )
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intent", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("timing_known", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index("ix_conv_ws_intent", ["workspace_id", "intent"], unique=False)
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conv_ws_intent")
        batch_op.drop_column("timing_known")
        batch_op.drop_column("intent")
