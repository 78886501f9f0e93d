"""What crm listens to.

- ``case.resolved``: a resolved complaint gets its follow-up visit (``followups.from_resolved_case``),
  once per case however often the event is delivered or the case is resolved again.

What crm emits: ``followup.created``, ``followup.completed``, ``followup.reassigned``,
``followup.cancelled`` (``crm/followups.py``) and ``churn.reason_recorded``,
``campaign.created|started|finished`` (``crm/winback.py``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liuke.core.events import Event, bus
from liuke.crm import followups


@bus.subscribe("case.resolved", "crm.follow_up_after_complaint")
def _after_complaint(s: Session, event: Event) -> None:
    if event.workspace_id is None:
        return
    followups.from_resolved_case(s, event.workspace_id, int(event.payload["case_id"]))
