"""core: durable events between domains (the event table and one delivery row per handler)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govcx.core.db


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('published_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    op.create_index(op.f('ix_event_published_at'), 'event', ['published_at'], unique=False)
    op.create_table('event_delivery',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('handler', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.Column('lease_until', govcx.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', govcx.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_delivery_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'handler', name=op.f('pk_event_delivery'))
    )
    op.create_index('ix_event_delivery_state_due_at', 'event_delivery', ['state', 'due_at'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_event_delivery_state_due_at', table_name='event_delivery')
    op.drop_table('event_delivery')
    op.drop_index(op.f('ix_event_published_at'), table_name='event')
    op.drop_table('event')
