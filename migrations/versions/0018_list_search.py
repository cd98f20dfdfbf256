"""P1: indexes of the back-office lists' search box at a million rows (name, phone and pinyin prefixes;
trigrams of names for FAB's ILIKE filters, from PostgreSQL's pg_trgm)

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # a trusted extension: the database owner may
    op.create_index("ix_person_name_prefix", "person", ["name"], postgresql_ops={"name": "varchar_pattern_ops"})
    op.create_index("ix_person_phone_prefix", "person", ["phone"], postgresql_ops={"phone": "varchar_pattern_ops"})
    op.create_index("ix_person_pinyin_key", "person",
                    [sa.text("lower(replace(pinyin, ' ', '')) text_pattern_ops")
                     if op.get_bind().dialect.name == "postgresql" else sa.text("lower(replace(pinyin, ' ', ''))")])
    op.create_index("ix_person_name_trgm", "person", ["name"], postgresql_using="gin",
                    postgresql_ops={"name": "gin_trgm_ops"})
    op.create_index("ix_certificate_holder_name_trgm", "certificate", ["holder_name"], postgresql_using="gin",
                    postgresql_ops={"holder_name": "gin_trgm_ops"})


def downgrade():
    for name, table in (("ix_certificate_holder_name_trgm", "certificate"), ("ix_person_name_trgm", "person"),
                        ("ix_person_pinyin_key", "person"), ("ix_person_phone_prefix", "person"),
                        ("ix_person_name_prefix", "person")):
        op.drop_index(name, table_name=table)
