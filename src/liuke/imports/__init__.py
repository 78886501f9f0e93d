"""Load real conversation exports (Twitter customer support, JDDC chat logs) into a workspace.

``run_import(db, workspace_id, "twcs" | "jddc", path)`` validates the whole file before the
first write, then goes through the domain services in durable chunks; reruns add nothing.
"""

from liuke.imports.base import Importer, ParsedConversation, ParsedFile, ParsedMessage
from liuke.imports.result import ImportResult
from liuke.imports.service import IMPORTERS, run_import

__all__ = [
    "IMPORTERS",
    "ImportResult",
    "Importer",
    "ParsedConversation",
    "ParsedFile",
    "ParsedMessage",
    "run_import",
]
