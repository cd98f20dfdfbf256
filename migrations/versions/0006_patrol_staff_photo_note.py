"""exam administration (issue 5): association patrol staff (invigilators with
the patrol duty and no institution, D10) and why a photo check failed (D6)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invigilator") as batch:
        batch.add_column(sa.Column("duty", sa.String(length=32), nullable=False, server_default="invigilate"))
        batch.create_index("ix_invigilator_duty", ["duty"])
        batch.alter_column("institution_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("verify_note", sa.String(length=256), nullable=True))


def downgrade():
    with op.batch_alter_table("person") as batch:
        batch.drop_column("verify_note")
    with op.batch_alter_table("invigilator") as batch:
        batch.drop_index("ix_invigilator_duty")
        batch.drop_column("duty")
        batch.alter_column("institution_id", existing_type=sa.Integer(), nullable=False)
