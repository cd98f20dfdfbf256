"""training (issue 14, G1–G5, I5): binding review and experience rows, course filing numbers and
materials, plan courses, teachers and attendees, training certificate numbers, numbering counters

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _fk(table, column, target, ondelete=None):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=f"fk_{table}_{column}_{target}")


def _child(table, owner_column, owner, other_column, other, extra=(), indexed=()):
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(owner_column, sa.Integer(), nullable=False),
        sa.Column(other_column, sa.Integer(), nullable=False),
        *extra,
        _fk(table, owner_column, owner, "CASCADE"),
        _fk(table, other_column, other),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint(owner_column, other_column, name=f"uq_{table}"),
    )
    for column in (owner_column, other_column) + tuple(indexed):
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade():
    op.create_table(
        "sequence_counter",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sequence_counter"),
    )
    with op.batch_alter_table("teacher_category") as batch:
        batch.add_column(sa.Column("experiences", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("status", sa.String(length=32), nullable=False, server_default="not_submitted"))
        batch.create_index("ix_teacher_category_status", ["status"])
    with op.batch_alter_table("course") as batch:
        batch.add_column(sa.Column("delivery", sa.String(length=32), nullable=False, server_default="classroom"))
        batch.add_column(sa.Column("outline", sa.Text(), nullable=True))
        batch.add_column(sa.Column("material_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("video_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("filing_no", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("filed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch.create_index("ix_course_delivery", ["delivery"])
        batch.create_index("ix_course_material_id", ["material_id"])
        batch.create_index("ix_course_video_id", ["video_id"])
        batch.create_unique_constraint("uq_course_filing_no", ["filing_no"])
        batch.create_foreign_key("fk_course_material_id_attachment", "attachment", ["material_id"], ["id"])
        batch.create_foreign_key("fk_course_video_id_attachment", "attachment", ["video_id"], ["id"])
    # the course statuses of the bare tables become the filing's
    op.execute("UPDATE course SET status = 'filed' WHERE status = 'approved'")
    with op.batch_alter_table("course_teacher") as batch:
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("training_plan") as batch:
        batch.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("terminated_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("finished_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE training_plan SET status = 'draft' WHERE status = 'reported'")
    op.execute("UPDATE training_plan SET status = 'approved' WHERE status = 'confirmed'")
    _child("training_plan_course", "plan_id", "training_plan", "course_id", "course")
    teacher_columns = (sa.Column("confirm", sa.String(length=32), nullable=False),
                       sa.Column("opinion", sa.Text(), nullable=True),
                       sa.Column("confirmed_at", sa.DateTime(), nullable=True))
    _child("training_plan_teacher", "plan_id", "training_plan", "person_id", "person", teacher_columns,
           indexed=("confirm",))
    _child("training_plan_attendee", "plan_id", "training_plan", "person_id", "person",
           (sa.Column("hours", sa.Numeric(6, 1), nullable=True),
            sa.Column("attended", sa.Boolean(), nullable=False)))
    with op.batch_alter_table("training_record") as batch:
        batch.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("certificate_no", sa.String(length=40), nullable=True))
        batch.create_index("ix_training_record_plan_id", ["plan_id"])
        batch.create_unique_constraint("uq_training_record_certificate_no", ["certificate_no"])
        batch.create_unique_constraint("uq_training_record_plan_person", ["plan_id", "person_id"])
        batch.create_foreign_key("fk_training_record_plan_id_training_plan", "training_plan", ["plan_id"], ["id"])


def downgrade():
    with op.batch_alter_table("training_record") as batch:
        batch.drop_constraint("fk_training_record_plan_id_training_plan", type_="foreignkey")
        batch.drop_constraint("uq_training_record_plan_person", type_="unique")
        batch.drop_constraint("uq_training_record_certificate_no", type_="unique")
        batch.drop_index("ix_training_record_plan_id")
        batch.drop_column("certificate_no")
        batch.drop_column("plan_id")
    for table in ("training_plan_attendee", "training_plan_teacher", "training_plan_course"):
        op.drop_table(table)
    op.execute("UPDATE training_plan SET status = 'reported' WHERE status NOT IN ('approved', 'terminated')")
    op.execute("UPDATE training_plan SET status = 'confirmed' WHERE status = 'approved'")
    with op.batch_alter_table("training_plan") as batch:
        for column in ("finished_at", "terminated_reason", "capacity"):
            batch.drop_column(column)
    with op.batch_alter_table("course_teacher") as batch:
        batch.drop_column("confirmed_at")
    op.execute("UPDATE course SET status = 'approved' WHERE status = 'filed'")
    with op.batch_alter_table("course") as batch:
        batch.drop_constraint("fk_course_video_id_attachment", type_="foreignkey")
        batch.drop_constraint("fk_course_material_id_attachment", type_="foreignkey")
        batch.drop_constraint("uq_course_filing_no", type_="unique")
        for index in ("ix_course_video_id", "ix_course_material_id", "ix_course_delivery"):
            batch.drop_index(index)
        for column in ("valid_from", "filed_at", "filing_no", "video_id", "material_id", "outline", "delivery"):
            batch.drop_column(column)
    with op.batch_alter_table("teacher_category") as batch:
        batch.drop_index("ix_teacher_category_status")
        batch.drop_column("status")
        batch.drop_column("experiences")
    op.drop_table("sequence_counter")
