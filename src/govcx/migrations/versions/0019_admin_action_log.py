"""admin: the administration log (who did what, when, to which object)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govcx.core.db


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERBS = (
    'agency.created', 'agency.renamed', 'staff.created', 'staff.role_changed', 'staff.disabled', 'key.created',
    'key.revoked', 'survey.created', 'survey.opened', 'survey.closed', 'follow_up_rule.created',
    'follow_up_rule.on', 'follow_up_rule.off', 'routing_rule.created', 'routing_rule.deleted', 'template.created',
    'legal_basis.created', 'legal_basis.amended', 'legal_basis.repealed',
)


def upgrade() -> None:
    op.create_table('admin_action',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=False),
    sa.Column('actor_role', sa.String(length=32), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=True),
    sa.Column('verb', sa.Enum(*VERBS, name='adminverb', native_enum=False, length=32, create_constraint=True),
              nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_account.id'], name=op.f('fk_admin_action_actor_id_staff_account')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_admin_action_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_action'))
    )
    op.create_index(op.f('ix_admin_action_at'), 'admin_action', ['at'], unique=False)
    op.create_index(op.f('ix_admin_action_actor_id'), 'admin_action', ['actor_id'], unique=False)
    op.create_index('ix_admin_action_agency_at', 'admin_action', ['agency_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_admin_action_agency_at', table_name='admin_action')
    op.drop_index(op.f('ix_admin_action_actor_id'), table_name='admin_action')
    op.drop_index(op.f('ix_admin_action_at'), table_name='admin_action')
    op.drop_table('admin_action')
