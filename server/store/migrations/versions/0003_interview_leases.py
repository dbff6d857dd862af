"""Interview leases: the front end running an interview renews it; an expired one is ended.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    # Interviews left in progress before leases existed have no front end renewing them: they
    # expire at once and are ended with what was answered.
    op.execute("UPDATE interviews SET lease_until = created_at WHERE status = 'in_progress'")


def downgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.drop_column("lease_until")
