"""liuke (留客): a customer-service platform that keeps customers."""

__version__ = "0.1.0"
