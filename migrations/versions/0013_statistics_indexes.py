"""statistics (I2): indexes of the figures by period and of the open matters by type and stage

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_registration_submitted_at", "registration", ["submitted_at"]),
    ("ix_payment_order_paid_at", "payment_order", ["paid_at"]),
    ("ix_certificate_issue_date", "certificate", ["issue_date"]),
    ("ix_matter_created_at", "matter", ["created_at"]),
    ("ix_matter_status_type_state", "matter", ["status", "type_code", "state"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
