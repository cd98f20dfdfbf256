"""scores (issue 6, E1): the pass mark of an exam's weighted total

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exam_plan") as batch:
        batch.add_column(sa.Column("pass_total", sa.Numeric(precision=6, scale=2), nullable=True))


def downgrade():
    with op.batch_alter_table("exam_plan") as batch:
        batch.drop_column("pass_total")
