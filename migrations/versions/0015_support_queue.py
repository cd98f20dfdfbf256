"""support queue (H2): a thread's handler, first response and resolution times

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("message_thread") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("first_response_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key("fk_message_thread_assignee_id_ab_user", "ab_user", ["assignee_id"], ["id"])
        batch.create_index("ix_message_thread_assignee_id", ["assignee_id"])
    # threads answered before: their first response is their first support reply
    op.execute("UPDATE message_thread SET first_response_at = (SELECT min(p.created_at) FROM message_post p "
               "WHERE p.thread_id = message_thread.id AND p.from_staff)")


def downgrade():
    with op.batch_alter_table("message_thread") as batch:
        batch.drop_index("ix_message_thread_assignee_id")
        batch.drop_constraint("fk_message_thread_assignee_id_ab_user", type_="foreignkey")
        batch.drop_column("resolved_at")
        batch.drop_column("first_response_at")
        batch.drop_column("assignee_id")
