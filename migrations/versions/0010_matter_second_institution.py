"""F4: a transfer concerns two institutions; the one joined reaches the matter too

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("matter") as batch:
        batch.add_column(sa.Column("second_institution_id", sa.Integer(), nullable=True))
        batch.create_index("ix_matter_second_institution_id", ["second_institution_id"])
        batch.create_foreign_key("fk_matter_second_institution_id_institution", "institution",
                                 ["second_institution_id"], ["id"])


def downgrade():
    with op.batch_alter_table("matter") as batch:
        batch.drop_constraint("fk_matter_second_institution_id_institution", type_="foreignkey")
        batch.drop_index("ix_matter_second_institution_id")
        batch.drop_column("second_institution_id")
