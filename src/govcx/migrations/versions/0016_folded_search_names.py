"""registry: names are searched without accents as well as without case

`person.search_name` and `organization.search_name` were only case-folded, so "martinez" did not find
"Martínez". The search now folds accents too (registry.service.fold); this recomputes the stored
form of every existing name the same way, in batches, on SQLite and PostgreSQL alike. No column changes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000
# A copy of registry.service.fold as it was when this migration was written: a migration must keep
# doing what it did, whatever the service's function becomes later.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.translate(_PLAIN_LETTERS))


def _refold(table: str, name_columns: tuple[str, ...], *, fold: bool) -> None:
    connection = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Uuid()), sa.column('search_name', sa.String()),
                    *(sa.column(c, sa.String()) for c in name_columns))
    update = sa.update(rows).where(rows.c.id == sa.bindparam('row_id')).values(search_name=sa.bindparam('folded'))
    last = None
    while True:
        stmt = sa.select(rows.c.id, *(rows.c[c] for c in name_columns)).order_by(rows.c.id).limit(BATCH)
        if last is not None:
            stmt = stmt.where(rows.c.id > last)
        batch = connection.execute(stmt).all()
        if not batch:
            return
        connection.execute(update, [
            {'row_id': row[0], 'folded': " ".join((_fold(p) if fold else p.casefold()) for p in row[1:] if p)}
            for row in batch
        ])
        last = batch[-1][0]


def upgrade() -> None:
    _refold('person', ('given_name', 'family_name'), fold=True)
    _refold('organization', ('name',), fold=True)


def downgrade() -> None:
    _refold('person', ('given_name', 'family_name'), fold=False)
    _refold('organization', ('name',), fold=False)
