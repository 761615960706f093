"""core: signed-in sessions kept on the server, so they can be ended

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govcx.core.db


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('signed_in_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(staff_id IS NULL) <> (person_id IS NULL)', name=op.f('ck_signed_in_session_one_identity')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_signed_in_session_person_id_person'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'],
                            name=op.f('fk_signed_in_session_staff_id_staff_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_in_session'))
    )
    op.create_index(op.f('ix_signed_in_session_ends_at'), 'signed_in_session', ['ends_at'], unique=False)
    op.create_index(op.f('ix_signed_in_session_last_seen_at'), 'signed_in_session', ['last_seen_at'], unique=False)
    op.create_index(op.f('ix_signed_in_session_person_id'), 'signed_in_session', ['person_id'], unique=False)
    op.create_index(op.f('ix_signed_in_session_staff_id'), 'signed_in_session', ['staff_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_signed_in_session_staff_id'), table_name='signed_in_session')
    op.drop_index(op.f('ix_signed_in_session_person_id'), table_name='signed_in_session')
    op.drop_index(op.f('ix_signed_in_session_last_seen_at'), table_name='signed_in_session')
    op.drop_index(op.f('ix_signed_in_session_ends_at'), table_name='signed_in_session')
    op.drop_table('signed_in_session')
