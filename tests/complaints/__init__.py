"""Tests for complaint management."""
