"""notify: preferences, templates, outbox, recommendation rules

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govcx.core.db


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('message_template',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('topic', sa.Enum('offers', 'case_updates', 'surveys', 'reminders', name='topic', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('created_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template')),
    sa.UniqueConstraint('key', 'language', 'version', name='uq_message_template_key_language_version')
    )
    op.create_table('message',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('topic', sa.Enum('offers', 'case_updates', 'surveys', 'reminders', name='topic', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('dedup_key', sa.String(length=200), nullable=True),
    sa.Column('template_key', sa.String(length=100), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.Enum('inbox', 'email', 'sms', 'post', name='notifychannel', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('why_data', sa.JSON(), nullable=False),
    sa.Column('why_rule', sa.Text(), nullable=False),
    sa.Column('consent_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', 'skipped', name='messagestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('skip_reason', sa.Text(), nullable=False),
    sa.Column('deferred_reason', sa.String(length=100), nullable=False),
    sa.Column('not_before', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.Column('lease_until', govcx.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('provider_answer', sa.Text(), nullable=False),
    sa.Column('created_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', govcx.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_message_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('person_id', 'dedup_key', name='uq_message_person_dedup_key')
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_outbox', ['status', 'not_before'], unique=False)
        batch_op.create_index('ix_message_person_topic', ['person_id', 'topic', 'created_at'], unique=False)

    op.create_table('notification_preference',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('quiet_from', sa.Integer(), nullable=True),
    sa.Column('quiet_until', sa.Integer(), nullable=True),
    sa.Column('opted_out', sa.JSON(), nullable=False),
    sa.Column('muted_rules', sa.JSON(), nullable=False),
    sa.Column('updated_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_notification_preference_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_notification_preference'))
    )
    op.create_table('recommendation_rule',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('when', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_recommendation_rule_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_rule')),
    sa.UniqueConstraint('code', name=op.f('uq_recommendation_rule_code'))
    )


def downgrade() -> None:
    op.drop_table('recommendation_rule')
    op.drop_table('notification_preference')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_person_topic')
        batch_op.drop_index('ix_message_outbox')

    op.drop_table('message')
    op.drop_table('message_template')
