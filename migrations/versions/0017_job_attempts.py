"""S10: a job's attempts and its worker ("host:pid"), so a job whose worker died is noticed and resumed

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("runner", sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table("job") as batch:
        batch.drop_column("runner")
        batch.drop_column("attempts")
