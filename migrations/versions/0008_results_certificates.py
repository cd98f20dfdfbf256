"""scores and certificates (issue 6, E1–E9): score publication and re-check window,
certificate number scheme, certificate versions with holder data, PDF and history,
and the serial counter

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SCHEME = "{code}{year}{seq:05d}"


def upgrade():
    with op.batch_alter_table("exam_plan") as batch:
        batch.add_column(sa.Column("results_published_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("recheck_until", sa.DateTime(), nullable=True))
    with op.batch_alter_table("certificate_type") as batch:
        batch.add_column(sa.Column("number_scheme", sa.String(length=64), nullable=False, server_default=SCHEME))
    with op.batch_alter_table("certificate") as batch:
        batch.add_column(sa.Column("holder_name", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("holder_id_masked", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("photo_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pdf_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(length=16), nullable=False, server_default="issued"))
        batch.create_index("ix_certificate_photo_id", ["photo_id"])
        batch.create_index("ix_certificate_pdf_id", ["pdf_id"])
        batch.create_foreign_key("fk_certificate_photo_id_attachment", "attachment", ["photo_id"], ["id"])
        batch.create_foreign_key("fk_certificate_pdf_id_attachment", "attachment", ["pdf_id"], ["id"])
        batch.create_unique_constraint("uq_certificate_registration_version", ["registration_id", "version"])
    # the holder data of certificates issued before this revision: the person's current data
    op.execute("UPDATE certificate SET holder_name = (SELECT name FROM person WHERE person.id = certificate.person_id), "
               "holder_id_masked = (SELECT id_number_masked FROM person WHERE person.id = certificate.person_id)")
    op.create_table(
        "certificate_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("matter_id", sa.Integer(), nullable=True),
        sa.Column("valid_until_before", sa.Date(), nullable=True),
        sa.Column("valid_until_after", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificate.id"], ondelete="CASCADE",
                                name="fk_certificate_event_certificate_id_certificate"),
        sa.ForeignKeyConstraint(["actor_id"], ["ab_user.id"], name="fk_certificate_event_actor_id_ab_user"),
        sa.ForeignKeyConstraint(["matter_id"], ["matter.id"], name="fk_certificate_event_matter_id_matter"),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_event"),
    )
    for column in ("certificate_id", "actor_id", "matter_id"):
        op.create_index(f"ix_certificate_event_{column}", "certificate_event", [column])
    op.create_table(
        "certificate_serial_counter",
        sa.Column("prefix", sa.String(length=40), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name="pk_certificate_serial_counter"),
    )


def downgrade():
    op.drop_table("certificate_serial_counter")
    op.drop_table("certificate_event")
    with op.batch_alter_table("certificate") as batch:
        batch.drop_constraint("uq_certificate_registration_version", type_="unique")
        batch.drop_constraint("fk_certificate_pdf_id_attachment", type_="foreignkey")
        batch.drop_constraint("fk_certificate_photo_id_attachment", type_="foreignkey")
        batch.drop_index("ix_certificate_pdf_id")
        batch.drop_index("ix_certificate_photo_id")
        for column in ("source", "pdf_id", "photo_id", "holder_id_masked", "holder_name"):
            batch.drop_column(column)
    with op.batch_alter_table("certificate_type") as batch:
        batch.drop_column("number_scheme")
    with op.batch_alter_table("exam_plan") as batch:
        batch.drop_column("recheck_until")
        batch.drop_column("results_published_at")
