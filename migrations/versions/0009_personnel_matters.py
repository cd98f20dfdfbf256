"""personnel matters (issue 13, F2–F10): experience rows and the base-information library,
sanction periods in the credit record, matter fees, expert fields

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "experience_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("conformity", sa.String(length=32), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE",
                                name="fk_experience_entry_person_id_person"),
        sa.ForeignKeyConstraint(["matter_id"], ["matter.id"], ondelete="CASCADE",
                                name="fk_experience_entry_matter_id_matter"),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"],
                                name="fk_experience_entry_attachment_id_attachment"),
        sa.PrimaryKeyConstraint("id", name="pk_experience_entry"),
    )
    for column in ("person_id", "matter_id", "kind", "attachment_id", "conformity"):
        op.create_index(f"ix_experience_entry_{column}", "experience_entry", [column])
    with op.batch_alter_table("credit_record") as batch:
        batch.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch.create_index("ix_credit_record_recorded_by_id", ["recorded_by_id"])
        batch.create_foreign_key("fk_credit_record_recorded_by_id_ab_user", "ab_user", ["recorded_by_id"], ["id"])
    with op.batch_alter_table("payment_order") as batch:
        batch.add_column(sa.Column("matter_id", sa.Integer(), nullable=True))
        batch.create_index("ix_payment_order_matter_id", ["matter_id"])
        batch.create_foreign_key("fk_payment_order_matter_id_matter", "matter", ["matter_id"], ["id"])
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("expert_fields", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("person") as batch:
        batch.drop_column("expert_fields")
    with op.batch_alter_table("payment_order") as batch:
        batch.drop_constraint("fk_payment_order_matter_id_matter", type_="foreignkey")
        batch.drop_index("ix_payment_order_matter_id")
        batch.drop_column("matter_id")
    with op.batch_alter_table("credit_record") as batch:
        batch.drop_constraint("fk_credit_record_recorded_by_id_ab_user", type_="foreignkey")
        batch.drop_index("ix_credit_record_recorded_by_id")
        batch.drop_column("recorded_by_id")
        batch.drop_column("valid_until")
    op.drop_table("experience_entry")
