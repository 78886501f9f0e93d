"""A deterministic demo world with planted, known signals (``liuke simulate``).

:func:`simulate_world` fills one workspace with agents, customers, product lines, orders and a
few months of conversations, and returns (and optionally writes) a ground-truth document naming
every planted signal. Modules: ``catalog`` (the shop's static facts), ``text`` (message
templates), ``people`` (agents and customers), ``rand`` (fast seeded draws), ``signals`` (planted magnitudes, carriers,
ground truth), ``engine`` (contacts and conversations), ``orders`` (orders, daily sales) and
``world`` (database orchestration).
"""

from liuke.simulate.signals import PLANTED, Planted
from liuke.simulate.world import (
    DEMO_LOGINS,
    SimulationResult,
    WorkspaceExistsError,
    default_end,
    demo_logins,
    simulate_world,
)

__all__ = [
    "DEMO_LOGINS",
    "PLANTED",
    "Planted",
    "SimulationResult",
    "WorkspaceExistsError",
    "default_end",
    "demo_logins",
    "simulate_world",
]
