"""What complaints listens to.

- A conversation an agent labels ``complaint`` (or ``suggestion``) becomes a case when it is
  created, resolved or closed: nobody has to copy it by hand, and a conversation opens one case.
- A quality finding reported as a service failure opens a recovery record awaiting an action.
- A case acknowledged outside a conversation is confirmed to the customer by e-mail.
All handlers are idempotent, as the at-least-once outbox requires.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from liuke.complaints import recovery, service
from liuke.complaints.intake import case_from_conversation, suggester_for
from liuke.complaints.models import Case, RecoveryRecord
from liuke.core.config import get_settings
from liuke.core.db import utcnow
from liuke.core.errors import BadRequest
from liuke.core.events import Event, bus
from liuke.customers.models import Customer

log = logging.getLogger(__name__)


def _from_conversation(s: Session, event: Event) -> None:
    if event.workspace_id is None:
        return
    case_from_conversation(
        s,
        event.workspace_id,
        int(event.payload["conversation_id"]),
        suggester_for(s, event.workspace_id),
    )


for _type in ("conversation.created", "conversation.resolved", "conversation.closed"):
    bus.subscribe(_type, f"complaints.case_from_{_type.split('.')[1]}")(_from_conversation)


@bus.subscribe("quality.service_failure", "complaints.recovery_from_quality")
def _service_failure(s: Session, event: Event) -> None:
    if event.workspace_id is None:
        return
    hit_id = int(event.payload["hit_id"])
    seen = s.scalar(
        select(RecoveryRecord.id).where(
            RecoveryRecord.workspace_id == event.workspace_id,
            RecoveryRecord.source_kind == "inspection",
            RecoveryRecord.source_id == hit_id,
        )
    )
    if seen is not None:
        return
    hint = event.payload.get("root_cause_hint")
    recovery.record(
        s,
        event.workspace_id,
        source_kind="inspection",
        source_id=hit_id,
        root_cause=hint if hint in ("person", "process") else "person",
        action="",
        cause_detail=str(event.payload.get("rule_code") or "")[:200],
        note=str(event.payload.get("note") or ""),
    )


@bus.subscribe("case.acknowledgement", "complaints.mail_acknowledgement")
def _mail_acknowledgement(s: Session, event: Event) -> None:
    """E-mail the acknowledgement when the workspace can send mail and the customer has an address."""
    from liuke.core.mail import MailError, send_mail

    settings = get_settings()
    if event.workspace_id is None or not settings.smtp_host:
        return
    case = s.scalar(
        select(Case).where(
            Case.workspace_id == event.workspace_id, Case.id == int(event.payload["case_id"])
        )
    )
    if case is None or case.customer_notified_at is not None or case.customer_id is None:
        return
    email = s.scalar(select(Customer.email).where(Customer.id == case.customer_id))
    if not email:
        return
    text = str(event.payload.get("text") or "")
    title = " ".join(case.title.split())[:80]  # a line break in a subject is refused
    try:
        send_mail(settings, [email], f"[{service.case_number(case)}] {title}", text)
    except (MailError, BadRequest) as exc:  # the case stays acknowledged; the timeline says why
        log.warning("acknowledgement mail for case %s failed: %s", case.id, exc)
        service.log_event(s, case, "notify_failed", None, str(exc), {"via": "email"})
        return
    case.customer_notified_at = utcnow()
    service.log_event(s, case, "customer_notified", None, text, {"via": "email", "to": email})


@bus.subscribe("case.classified", "complaints.retrain_when_due")
def _retrain_when_due(s: Session, event: Event) -> None:
    """People's corrections retrain the classifier once ``retrain_every`` of them have gathered
    since the model was fitted (a count per event; the fit itself a few seconds now and then)."""
    from sqlalchemy import func

    from liuke.complaints.intake import retrain

    if event.workspace_id is None:
        return
    conf = service.settings_of(s, event.workspace_id)
    confirmed = int(
        s.scalar(
            select(func.count())
            .select_from(Case)
            .where(
                Case.workspace_id == event.workspace_id,
                Case.category_confirmed.is_(True),
                Case.merged_into_id.is_(None),
            )
        )
        or 0
    )
    model = suggester_for(s, event.workspace_id)
    if confirmed - model.n_examples >= conf.retrain_every:
        retrain(s, event.workspace_id)
