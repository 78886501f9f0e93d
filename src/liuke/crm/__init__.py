"""Customer relationship models: churn risk, calibrated and explained per customer."""
