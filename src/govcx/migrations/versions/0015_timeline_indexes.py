"""crm, consent, exchange: indexes that serve a person's timeline newest first, however long their history

Each case history line and each consent change carries its person, so "the newest N lines of this
person" is one index range instead of every case or consent of theirs joined and sorted; the
access log is indexed by (subject, sequence), so "the newest N decisions about this person" is
one too.

Revision ID: 0015
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('crm_case_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_crm_case_event_person_id_person'), 'person', ['person_id'], ['id'])
    op.execute("UPDATE crm_case_event SET person_id = "
               "(SELECT crm_case.person_id FROM crm_case WHERE crm_case.id = crm_case_event.case_id)")
    op.create_index('ix_crm_case_event_person_at', 'crm_case_event', ['person_id', 'at', 'id'], unique=False)
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.Uuid(), nullable=True))
    op.execute("UPDATE consent_event SET subject_id = "
               "(SELECT consent.subject_id FROM consent WHERE consent.id = consent_event.consent_id)")
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.alter_column('subject_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_consent_event_subject_id_person'), 'person', ['subject_id'], ['id'])
    op.create_index('ix_consent_event_subject_at', 'consent_event', ['subject_id', 'at', 'id'], unique=False)
    op.drop_index('ix_access_log_entry_subject_id', table_name='access_log_entry')
    op.create_index('ix_access_log_entry_subject_seq', 'access_log_entry', ['subject_id', 'seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_access_log_entry_subject_seq', table_name='access_log_entry')
    op.create_index('ix_access_log_entry_subject_id', 'access_log_entry', ['subject_id'], unique=False)
    op.drop_index('ix_consent_event_subject_at', table_name='consent_event')
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consent_event_subject_id_person'), type_='foreignkey')
        batch_op.drop_column('subject_id')
    op.drop_index('ix_crm_case_event_person_at', table_name='crm_case_event')
    with op.batch_alter_table('crm_case_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_crm_case_event_person_id_person'), type_='foreignkey')
        batch_op.drop_column('person_id')
