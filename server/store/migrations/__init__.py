"""Alembic migrations of the Podium database (applied to head by `Store.open`)."""
