"""powers: legal bases kept by platform admins with a change log; templates and dedup per agency

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govcx.core.db


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGAL_BASIS_ADMIN = 'legal-basis:admin'


def _strip_legal_basis_admin_from_api_keys() -> None:
    # No API key may keep the register of legal bases: keys that were given that power lose it.
    bind = op.get_bind()
    api_key = sa.table('api_key', sa.column('id', sa.Uuid()), sa.column('scopes', sa.JSON()))
    for key_id, scopes in bind.execute(sa.select(api_key.c.id, api_key.c.scopes)).all():
        if LEGAL_BASIS_ADMIN in (scopes or []):
            bind.execute(api_key.update().where(api_key.c.id == key_id)
                         .values(scopes=[s for s in scopes if s != LEGAL_BASIS_ADMIN]))


def upgrade() -> None:
    _strip_legal_basis_admin_from_api_keys()

    with op.batch_alter_table('legal_basis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repealed_at', govcx.core.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table('legal_basis_change',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('legal_basis_id', sa.Uuid(), nullable=False),
    sa.Column('at', govcx.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('created', 'amended', 'repealed', name='legalbasischangekind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['legal_basis_id'], ['legal_basis.id'], name=op.f('fk_legal_basis_change_legal_basis_id_legal_basis')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_basis_change'))
    )
    with op.batch_alter_table('legal_basis_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_basis_change_legal_basis_id'), ['legal_basis_id'], unique=False)
    # Bases registered before changes were logged get their creation on record, by an unknown hand.
    bind = op.get_bind()
    basis = sa.table('legal_basis', sa.column('id', sa.Uuid()), sa.column('created_at', govcx.core.db.UTCDateTime(timezone=True)))
    change = sa.table('legal_basis_change', sa.column('id', sa.Uuid()), sa.column('legal_basis_id', sa.Uuid()),
                      sa.column('at', govcx.core.db.UTCDateTime(timezone=True)), sa.column('kind', sa.String()),
                      sa.column('actor_id', sa.Uuid()), sa.column('actor_name', sa.String()),
                      sa.column('changes', sa.JSON()), sa.column('note', sa.Text()))
    rows = [{'id': uuid.uuid4(), 'legal_basis_id': basis_id, 'at': created_at, 'kind': 'created',
             'actor_id': uuid.UUID(int=0), 'actor_name': 'recorded before changes were logged', 'changes': {},
             'note': ''} for basis_id, created_at in bind.execute(sa.select(basis.c.id, basis.c.created_at)).all()]
    if rows:
        bind.execute(change.insert(), rows)

    # Templates belong to an agency, or to the platform (the defaults every agency uses).
    with op.batch_alter_table('message_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('owner', sa.String(length=36), nullable=True))
    op.execute("UPDATE message_template SET owner = 'platform'")
    with op.batch_alter_table('message_template', schema=None) as batch_op:
        batch_op.alter_column('owner', existing_type=sa.String(length=36), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_message_template_key_language_version'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_message_template_owner_key_language_version'), ['owner', 'key', 'language', 'version'])
        batch_op.create_foreign_key(batch_op.f('fk_message_template_agency_id_agency'), 'agency', ['agency_id'], ['id'])

    # Messages are de-duplicated per sender (an agency, or the platform for what govcx sends itself).
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender_agency_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('sender', sa.String(length=36), nullable=True))
    op.execute("UPDATE message SET sender = 'platform'")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('sender', existing_type=sa.String(length=36), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_message_person_dedup_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_message_person_sender_dedup_key'), ['person_id', 'sender', 'dedup_key'])
        batch_op.create_foreign_key(batch_op.f('fk_message_sender_agency_id_agency'), 'agency', ['sender_agency_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_sender_agency_id_agency'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_message_person_sender_dedup_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_message_person_dedup_key'), ['person_id', 'dedup_key'])
        batch_op.drop_column('sender')
        batch_op.drop_column('sender_agency_id')
    with op.batch_alter_table('message_template', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_template_agency_id_agency'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_message_template_owner_key_language_version'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_message_template_key_language_version'), ['key', 'language', 'version'])
        batch_op.drop_column('owner')
        batch_op.drop_column('agency_id')
    with op.batch_alter_table('legal_basis_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_basis_change_legal_basis_id'))
    op.drop_table('legal_basis_change')
    with op.batch_alter_table('legal_basis', schema=None) as batch_op:
        batch_op.drop_column('repealed_at')
