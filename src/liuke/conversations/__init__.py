"""Channels, conversations and messages (storage and REST; live chat and routing build on it)."""
