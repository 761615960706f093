"""journeys: proactive services (rules that offer a service when something happens, and their offers)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govcx.core.db


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('proactive_rule',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('life_event_key', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.Enum('fact_recorded', 'case_resolved', 'journey_event', name='trigger', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('trigger_key', sa.String(length=200), nullable=False),
    sa.Column('condition', sa.Text(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('consent_attributes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('offer_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_proactive_rule_agency_id_agency')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_proactive_rule_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proactive_rule')),
    sa.UniqueConstraint('code', name=op.f('uq_proactive_rule_code'))
    )
    with op.batch_alter_table('proactive_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proactive_rule_agency_id'), ['agency_id'], unique=False)

    op.create_table('proactive_journey_watermark',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('seen_until', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_proactive_journey_watermark'))
    )
    op.create_table('proactive_offer',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('rule_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('trigger_ref', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Enum('offered', 'accepted', 'declined', 'expired', name='offerstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=True),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('why', sa.String(length=300), nullable=False),
    sa.Column('offered_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', govcx.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_proactive_offer_agency_id_agency')),
    sa.ForeignKeyConstraint(['case_id'], ['crm_case.id'], name=op.f('fk_proactive_offer_case_id_crm_case')),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], name=op.f('fk_proactive_offer_consent_id_consent')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_proactive_offer_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['proactive_rule.id'], name=op.f('fk_proactive_offer_rule_id_proactive_rule'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_proactive_offer_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proactive_offer')),
    sa.UniqueConstraint('rule_id', 'person_id', 'trigger_ref', name='uq_proactive_offer_rule_person_trigger')
    )
    with op.batch_alter_table('proactive_offer', schema=None) as batch_op:
        batch_op.create_index('ix_proactive_offer_person_status', ['person_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_proactive_offer_rule_id'), ['rule_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proactive_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proactive_offer_rule_id'))
        batch_op.drop_index('ix_proactive_offer_person_status')
    op.drop_table('proactive_offer')
    op.drop_table('proactive_journey_watermark')
    with op.batch_alter_table('proactive_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proactive_rule_agency_id'))
    op.drop_table('proactive_rule')
