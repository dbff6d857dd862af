"""Storage: SQLAlchemy 2 async over SQLite (default) or PostgreSQL, migrated with Alembic."""

from server.store.records import (
    InterviewSummary,
    QuestionAsked,
    StoredAnswer,
    StoredFeedback,
    StoredInterview,
)
from server.store.repository import Store

__all__ = [
    "InterviewSummary",
    "QuestionAsked",
    "Store",
    "StoredAnswer",
    "StoredFeedback",
    "StoredInterview",
]
