"""photo verification (issue 5)

No schema change: photos are attachments (person.photo_id), the states are
person.verify_state (D6), imports and batch checks are job rows with their report.

Revision ID: 0006
Revises: 0005
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
