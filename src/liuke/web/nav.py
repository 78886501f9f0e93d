"""The side navigation, as data: a later capability ships its pages by flipping ``built``."""

from __future__ import annotations

from dataclasses import dataclass

from liuke.workspaces.service import Principal

# Settings gathers the admin screens, so any one of the admin permissions opens it.
_SETTINGS_PERMS = (
    "workspace.manage",
    "users.manage",
    "roles.manage",
    "skill_groups.manage",
    "channels.manage",
    "api_keys.manage",
)


@dataclass(frozen=True)
class NavItem:
    """One capability in the side bar.

    ``permissions`` is any-of; empty means every signed-in user. Unbuilt items are shown as
    "coming soon" (never as fake pages) so people see what the product will do.
    """

    key: str
    path: str
    permissions: tuple[str, ...] = ()
    built: bool = False

    @property
    def label_key(self) -> str:
        return f"web.nav.{self.key}"

    def visible_to(self, principal: Principal) -> bool:
        return not self.permissions or any(principal.can(p) for p in self.permissions)


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("home", "/home", (), built=True),
    NavItem("conversations", "/conversations", ("conversations.read",)),
    NavItem("customers", "/customers", ("retention.read",), built=True),
    NavItem("bot", "/bot", ("conversations.read",)),
    NavItem("complaints", "/complaints", ("complaints.read",), built=True),
    NavItem("quality", "/quality", ("analytics.read",), built=True),
    NavItem("satisfaction", "/satisfaction", ("retention.read",), built=True),
    NavItem("analytics", "/analytics", ("analytics.read",), built=True),
    NavItem("reports", "/reports", ("reports.read",), built=True),
    NavItem("settings", "/settings", _SETTINGS_PERMS),
)


def nav_for(principal: Principal, items: tuple[NavItem, ...] = NAV_ITEMS) -> list[NavItem]:
    """The items this person may see, in display order."""
    return [item for item in items if item.visible_to(principal)]
