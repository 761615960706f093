"""crm: the caseworker console: case references, when each case falls due soon, and indexes to filter and sort by

A case's reference is what the person quotes and staff search by: the last ten hex digits of its
token, which are random (the first ones are a timestamp shared by every case of the same minute).

A case is "due soon" in the last fifth of its SLA window. Stored as a moment (`due_soon_at`) the
queue can filter by SLA state in SQL on both stores, instead of reading every case to compute it.
Indexes serve the queue's filters (assignee, status) and sorts (due, opened) inside one agency,
and a member of staff's recent contacts on their console home.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govcx.core.db


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE_SOON_SHARE = 0.2  # as govcx.crm.service.DUE_SOON_SHARE when this migration was written
BATCH = 5000


def upgrade() -> None:
    # Nullable in the schema (adding a NOT NULL column would rebuild the table on SQLite, and its history
    # with it); the application always sets it and every existing case is filled in here.
    op.add_column('crm_case', sa.Column('due_soon_at', govcx.core.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('crm_case', sa.Column('reference', sa.String(length=10), nullable=True))
    moment = govcx.core.db.UTCDateTime(timezone=True)
    case = sa.table('crm_case', sa.column('id', sa.Uuid()), sa.column('token', sa.Uuid()),
                    sa.column('opened_at', moment), sa.column('sla_due_at', moment),
                    sa.column('due_soon_at', moment), sa.column('reference', sa.String(10)))
    connection = op.get_bind()
    while True:
        rows = connection.execute(sa.select(case.c.id, case.c.token, case.c.opened_at, case.c.sla_due_at)
                                  .where(case.c.due_soon_at.is_(None)).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(
            case.update().where(case.c.id == sa.bindparam('case_id'))
            .values(due_soon_at=sa.bindparam('due_soon'), reference=sa.bindparam('ref')),
            [{'case_id': r.id, 'due_soon': r.sla_due_at - (r.sla_due_at - r.opened_at) * DUE_SOON_SHARE,
              'ref': r.token.hex[-10:].upper()} for r in rows],
        )
    op.create_index('ix_crm_case_agency_assignee_status', 'crm_case', ['agency_id', 'assignee_id', 'status'])
    op.create_index('ix_crm_case_agency_due', 'crm_case', ['agency_id', 'sla_due_at'])
    op.create_index('ix_crm_case_agency_opened', 'crm_case', ['agency_id', 'opened_at'])
    op.create_index('ix_crm_case_agency_reference', 'crm_case', ['agency_id', 'reference'])
    op.create_index('ix_crm_interaction_staff_started', 'crm_interaction', ['staff_id', 'started_at'])


def downgrade() -> None:
    op.drop_index('ix_crm_interaction_staff_started', table_name='crm_interaction')
    op.drop_index('ix_crm_case_agency_reference', table_name='crm_case')
    op.drop_index('ix_crm_case_agency_opened', table_name='crm_case')
    op.drop_index('ix_crm_case_agency_due', table_name='crm_case')
    op.drop_index('ix_crm_case_agency_assignee_status', table_name='crm_case')
    # A plain DROP COLUMN (SQLite 3.35+), never a batch rebuild: rebuilding crm_case would drop the table,
    # and with foreign keys on, its history lines with it (ON DELETE CASCADE).
    op.drop_column('crm_case', 'reference')
    op.drop_column('crm_case', 'due_soon_at')
