"""Tests for management reports."""
