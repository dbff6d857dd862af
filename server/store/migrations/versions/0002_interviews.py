"""Mock interviews, and answers linked to their interview and follow-up parent.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interviews",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("profile_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("planned_questions", sa.Integer(), nullable=False),
        sa.Column("question_source", sa.String(32), nullable=False),
        sa.Column("job_description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overall_mean", sa.Float(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
    )
    op.create_index("ix_interviews_profile_created", "interviews", ["profile_id", "created_at"])
    # Batch mode: SQLite cannot add a foreign key to an existing table, so the table is copied.
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("interview_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("parent_answer_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("followup_id", sa.String(64), nullable=True))
        batch.create_foreign_key(
            "fk_answers_interview_id",
            "interviews",
            ["interview_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_answers_interview_id", ["interview_id"])


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_index("ix_answers_interview_id")
        batch.drop_constraint("fk_answers_interview_id", type_="foreignkey")
        batch.drop_column("followup_id")
        batch.drop_column("parent_answer_id")
        batch.drop_column("interview_id")
    op.drop_table("interviews")
