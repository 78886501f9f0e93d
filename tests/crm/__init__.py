"""Tests of the churn-risk model (liuke.crm)."""
