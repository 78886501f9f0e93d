"""Customer profiles, tiers, tags and identity resolution (dedupe)."""
