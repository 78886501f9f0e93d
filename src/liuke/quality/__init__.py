"""Quality inspection of every conversation: rules, emotion, attitude, review."""
