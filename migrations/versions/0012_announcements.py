"""announcements (H5): category, audience (with its exam), pinned, visibility window, attachment

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("announcement") as batch:
        batch.add_column(sa.Column("category", sa.String(length=32), nullable=False, server_default="notice"))
        batch.add_column(sa.Column("target", sa.String(length=32), nullable=False, server_default="everyone"))
        batch.add_column(sa.Column("exam_plan_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attachment_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("publish_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("withdraw_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_announcement_category", ["category"])
        batch.create_index("ix_announcement_target", ["target"])
        batch.create_index("ix_announcement_exam_plan_id", ["exam_plan_id"])
        batch.create_index("ix_announcement_attachment_id", ["attachment_id"])
        batch.create_index("ix_announcement_publish_at", ["publish_at"])
        batch.create_foreign_key("fk_announcement_exam_plan_id_exam_plan", "exam_plan", ["exam_plan_id"], ["id"])
        batch.create_foreign_key("fk_announcement_attachment_id_attachment", "attachment", ["attachment_id"], ["id"])
    # the announcements of before were visible from their publication (or creation)
    op.execute("UPDATE announcement SET publish_at = COALESCE(published_at, created_at)")
    with op.batch_alter_table("announcement") as batch:
        batch.alter_column("publish_at", existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("announcement") as batch:
        batch.drop_constraint("fk_announcement_attachment_id_attachment", type_="foreignkey")
        batch.drop_constraint("fk_announcement_exam_plan_id_exam_plan", type_="foreignkey")
        for index in ("ix_announcement_publish_at", "ix_announcement_attachment_id", "ix_announcement_exam_plan_id",
                      "ix_announcement_target", "ix_announcement_category"):
            batch.drop_index(index)
        for column in ("withdraw_at", "publish_at", "pinned", "attachment_id", "exam_plan_id", "target", "category"):
            batch.drop_column(column)
