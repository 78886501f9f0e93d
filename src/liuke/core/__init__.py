"""Cross-cutting infrastructure: config, database, security, tenancy, events, i18n."""
