"""Persistence: SQLAlchemy models, repositories and Alembic migrations.

Imports nothing from ``bot`` or ``adapters``.
"""
