"""Persistence: the schema, migrations, repositories and the per-restaurant event log."""
