"""The case store: cases, watched places, analyst sightings and object counts, notes and
judgements, in SQLite by default (``LAKE/cases.sqlite``) or PostgreSQL by URL.

Every row records who wrote it, when, and from what source; schema changes are Alembic
migrations applied when a store is opened.
"""
