"""Storage: SQLAlchemy 2 async over SQLite (default) or PostgreSQL, migrated with Alembic."""

from server.store.records import QuestionAsked, StoredAnswer, StoredFeedback
from server.store.repository import Store

__all__ = ["QuestionAsked", "Store", "StoredAnswer", "StoredFeedback"]
