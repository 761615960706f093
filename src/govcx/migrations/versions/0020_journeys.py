"""journeys: life events, journey maps, touchpoint events, instances

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29

Life events are data (shipped in lifeevents.json, versioned here); touchpoint events are unique per
agency and client event id so a retried batch never duplicates.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govcx.core.db


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('journey_life_event',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('file_version', sa.Integer(), nullable=False),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_es', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_life_event')),
    sa.UniqueConstraint('key', name=op.f('uq_journey_life_event_key'))
    )
    op.create_table('journey_life_event_version',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('life_event_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_es', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['life_event_id'], ['journey_life_event.id'], name=op.f('fk_journey_life_event_version_life_event_id_journey_life_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_life_event_version')),
    sa.UniqueConstraint('life_event_id', 'version', name='uq_journey_life_event_version')
    )
    with op.batch_alter_table('journey_life_event_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_life_event_version_life_event_id'), ['life_event_id'], unique=False)

    op.create_table('journey_map',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('life_event_id', sa.Uuid(), nullable=True),
    sa.Column('agency_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_journey_map_agency_id_agency')),
    sa.ForeignKeyConstraint(['life_event_id'], ['journey_life_event.id'], name=op.f('fk_journey_map_life_event_id_journey_life_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_map')),
    sa.UniqueConstraint('key', name=op.f('uq_journey_map_key'))
    )
    with op.batch_alter_table('journey_map', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_map_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_map_life_event_id'), ['life_event_id'], unique=False)

    op.create_table('journey_map_version',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('journey_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey_map.id'], name=op.f('fk_journey_map_version_journey_id_journey_map'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_map_version')),
    sa.UniqueConstraint('journey_id', 'version', name='uq_journey_map_version')
    )
    with op.batch_alter_table('journey_map_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_map_version_journey_id'), ['journey_id'], unique=False)

    op.create_table('journey_stage',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('journey_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey_map.id'], name=op.f('fk_journey_stage_journey_id_journey_map'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_stage')),
    sa.UniqueConstraint('journey_id', 'key', name='uq_journey_stage_journey_key')
    )
    op.create_table('journey_activity',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('contact', 'case', name='activitykind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('started_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', govcx.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_journey_activity_agency_id_agency')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_journey_activity_person_id_person')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_journey_activity_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_activity')),
    sa.UniqueConstraint('ref', name=op.f('uq_journey_activity_ref'))
    )
    with op.batch_alter_table('journey_activity', schema=None) as batch_op:
        batch_op.create_index('ix_journey_activity_person_started', ['person_id', 'started_at'], unique=False)

    op.create_table('journey_instance',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('life_event_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('active', 'completed', 'abandoned', name='instancestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('current_stage', sa.String(length=64), nullable=False),
    sa.Column('started_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', govcx.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('abandoned_at', govcx.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('agencies', sa.JSON(), nullable=False),
    sa.Column('services_done', sa.JSON(), nullable=False),
    sa.Column('updated_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['life_event_id'], ['journey_life_event.id'], name=op.f('fk_journey_instance_life_event_id_journey_life_event')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_journey_instance_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_instance'))
    )
    with op.batch_alter_table('journey_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_instance_life_event_id'), ['life_event_id'], unique=False)
        batch_op.create_index('ix_journey_instance_person_life_event', ['person_id', 'life_event_id', 'status'], unique=False)

    op.create_table('journey_touchpoint',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('journey_id', sa.Uuid(), nullable=False),
    sa.Column('stage_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.Enum('web', 'app', 'phone', 'in_person', 'email', 'chat', 'mail', 'social', 'sms', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('owner_staff_id', sa.Uuid(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_journey_touchpoint_agency_id_agency')),
    sa.ForeignKeyConstraint(['journey_id'], ['journey_map.id'], name=op.f('fk_journey_touchpoint_journey_id_journey_map'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_staff_id'], ['staff_account.id'], name=op.f('fk_journey_touchpoint_owner_staff_id_staff_account')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_journey_touchpoint_service_id_service')),
    sa.ForeignKeyConstraint(['stage_id'], ['journey_stage.id'], name=op.f('fk_journey_touchpoint_stage_id_journey_stage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_touchpoint')),
    sa.UniqueConstraint('journey_id', 'key', name='uq_journey_touchpoint_journey_key')
    )
    with op.batch_alter_table('journey_touchpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_touchpoint_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_touchpoint_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_touchpoint_stage_id'), ['stage_id'], unique=False)

    op.create_table('journey_visitor_link',
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('visitor_id', sa.String(length=100), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('linked_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_journey_visitor_link_agency_id_agency')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_journey_visitor_link_person_id_person')),
    sa.PrimaryKeyConstraint('agency_id', 'visitor_id', name=op.f('pk_journey_visitor_link'))
    )
    with op.batch_alter_table('journey_visitor_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_visitor_link_person_id'), ['person_id'], unique=False)

    op.create_table('journey_event',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('client_event_id', sa.String(length=100), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('visitor_id', sa.String(length=100), nullable=True),
    sa.Column('journey_id', sa.Uuid(), nullable=False),
    sa.Column('touchpoint_id', sa.Uuid(), nullable=True),
    sa.Column('type', sa.Enum('view', 'start', 'step', 'submit', 'complete', 'abandon', 'error', name='eventtype', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('received_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_journey_event_agency_id_agency')),
    sa.ForeignKeyConstraint(['journey_id'], ['journey_map.id'], name=op.f('fk_journey_event_journey_id_journey_map')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_journey_event_person_id_person')),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['journey_touchpoint.id'], name=op.f('fk_journey_event_touchpoint_id_journey_touchpoint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_event')),
    sa.UniqueConstraint('agency_id', 'client_event_id', name='uq_journey_event_agency_client_event')
    )
    with op.batch_alter_table('journey_event', schema=None) as batch_op:
        batch_op.create_index('ix_journey_event_agency_visitor', ['agency_id', 'visitor_id'], unique=False)
        batch_op.create_index('ix_journey_event_journey_at', ['journey_id', 'at'], unique=False)
        batch_op.create_index('ix_journey_event_person_at', ['person_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('journey_event', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_event_person_at')
        batch_op.drop_index('ix_journey_event_journey_at')
        batch_op.drop_index('ix_journey_event_agency_visitor')

    op.drop_table('journey_event')
    with op.batch_alter_table('journey_visitor_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_visitor_link_person_id'))

    op.drop_table('journey_visitor_link')
    with op.batch_alter_table('journey_touchpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_touchpoint_stage_id'))
        batch_op.drop_index(batch_op.f('ix_journey_touchpoint_service_id'))
        batch_op.drop_index(batch_op.f('ix_journey_touchpoint_agency_id'))

    op.drop_table('journey_touchpoint')
    with op.batch_alter_table('journey_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_instance_person_life_event')
        batch_op.drop_index(batch_op.f('ix_journey_instance_life_event_id'))

    op.drop_table('journey_instance')
    with op.batch_alter_table('journey_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_activity_person_started')

    op.drop_table('journey_activity')
    op.drop_table('journey_stage')
    with op.batch_alter_table('journey_map_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_map_version_journey_id'))

    op.drop_table('journey_map_version')
    with op.batch_alter_table('journey_map', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_map_life_event_id'))
        batch_op.drop_index(batch_op.f('ix_journey_map_agency_id'))

    op.drop_table('journey_map')
    with op.batch_alter_table('journey_life_event_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_life_event_version_life_event_id'))

    op.drop_table('journey_life_event_version')
    op.drop_table('journey_life_event')
