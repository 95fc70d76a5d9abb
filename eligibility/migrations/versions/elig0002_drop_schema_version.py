"""Drop eligibility_schema_version: alembic_version_eligibility records the revision now

Revision ID: elig0002
Revises: elig0001
Create Date: 2026-12-02 16:30:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "elig0002"
down_revision = "elig0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("eligibility_schema_version")


def downgrade() -> None:
    table = op.create_table(
        "eligibility_schema_version",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    # What the releases before Alembic expect to find: version 1, which is this schema.
    op.bulk_insert(table, [{"version": 1, "applied_at": datetime.now(UTC)}])
