"""Customer-relationship models over per-customer feature tables (churn risk and more)."""
