"""Service metrics: one catalogue of Ibis expressions run on SQLite, PostgreSQL, DuckDB or Spark."""
