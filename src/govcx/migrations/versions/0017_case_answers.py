"""crm: the values an application carried to the agency (prefilled from the vault, or given by the person)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'crm_case_answer',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('attribute_key', sa.String(length=100), nullable=False),
        sa.Column('value', sa.Text(), nullable=True),
        sa.Column('sealed', sa.LargeBinary(), nullable=True),
        sa.Column('key_id', sa.String(length=32), nullable=True),
        sa.Column('fact_id', sa.Uuid(), nullable=True),
        sa.Column('source_name', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['crm_case.id'], name=op.f('fk_crm_case_answer_case_id_crm_case'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_case_answer')),
        sa.UniqueConstraint('case_id', 'attribute_key', name='uq_crm_case_answer_case_attribute'),
    )
    op.create_index(op.f('ix_crm_case_answer_case_id'), 'crm_case_answer', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_crm_case_answer_case_id'), table_name='crm_case_answer')
    op.drop_table('crm_case_answer')
