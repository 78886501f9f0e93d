"""Imports every capability's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from liuke.commerce import models as commerce_models
from liuke.complaints import models as complaints_models
from liuke.conversations import models as conversations_models
from liuke.core import events as core_events
from liuke.core.db import Base
from liuke.crm import models as crm_models
from liuke.customers import models as customers_models
from liuke.quality import models as quality_models
from liuke.reports import models as reports_models
from liuke.surveys import models as surveys_models
from liuke.workspaces import models as workspaces_models

__all__ = [
    "Base",
    "commerce_models",
    "complaints_models",
    "conversations_models",
    "core_events",
    "crm_models",
    "customers_models",
    "quality_models",
    "reports_models",
    "surveys_models",
    "workspaces_models",
]
