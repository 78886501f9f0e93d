"""Workspaces (tenants), users, roles and permissions, skill groups, sessions and API keys."""
