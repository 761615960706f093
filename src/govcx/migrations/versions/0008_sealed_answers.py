"""exchange: answers kept as released (sealed), and reads made for a case

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('exchange_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_key_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('answer_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('case_id', sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('exchange_request', schema=None) as batch_op:
        batch_op.drop_column('case_id')
        batch_op.drop_column('answer_sealed')
        batch_op.drop_column('answer_key_id')
