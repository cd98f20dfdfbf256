"""P1 (issue 16): a stamp of the roles' permissions, read with the user, so each process keeps the
permission sets it computed until a role's permissions change; the person's id in the name and phone
prefix indexes (a search reads its keys from the index alone)

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    stamp = op.create_table(
        "permission_stamp",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.bulk_insert(stamp, [{"id": 1, "version": 0}])
    _prefix_indexes(include=["id"])


def downgrade():
    _prefix_indexes(include=None)
    op.drop_table("permission_stamp")


def _prefix_indexes(include):
    if op.get_bind().dialect.name != "postgresql":  # SQLite has no INCLUDE: its indexes stay as they are
        return
    for column in ("name", "phone"):
        name = f"ix_person_{column}_prefix"
        op.drop_index(name, table_name="person")
        op.create_index(name, "person", [column], postgresql_ops={column: "varchar_pattern_ops"},
                        postgresql_include=include)
