"""roles on screen (I1): the permissions the Admin switched off for a role, within app/roles.py

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "role_permission_off",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("role_name", sa.String(length=64), nullable=False),
        sa.Column("view_name", sa.String(length=255), nullable=False),
        sa.Column("permission_name", sa.String(length=100), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), sa.ForeignKey("ab_user.id", name="fk_role_permission_off_changed_by_id_ab_user"),
                  nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("role_name", "view_name", "permission_name", name="uq_role_permission_off"),
    )
    op.create_index("ix_role_permission_off_changed_by_id", "role_permission_off", ["changed_by_id"])


def downgrade():
    op.drop_table("role_permission_off")
