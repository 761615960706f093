"""access log: append-only on PostgreSQL (a trigger and grants)

The application's role cannot UPDATE, DELETE or TRUNCATE access-log entries or checkpoints, and the
head row only moves forward, to an entry that exists. Triggers refuse the change for every role
(the owner and superusers included) while `session_replication_role` is `origin`; changing that
needs a superuser, so the application cannot switch them off. Roles other than the owner also lose
the privileges. A superuser or the owner can still undo all of this, which is why the witness
exists. SQLite has no roles: there the file's owner is the insider, and only the witness guards.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSE = """
CREATE OR REPLACE FUNCTION {schema}.govcx_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
# The head row is updated by every append: it may only move forward, and only to an entry that exists.
_HEAD = """
CREATE OR REPLACE FUNCTION {schema}.govcx_access_log_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.seq < OLD.seq THEN
        RAISE EXCEPTION 'the access log head only moves forward (from % to %)', OLD.seq, NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.hash <> OLD.hash AND NOT EXISTS (
        SELECT 1 FROM {schema}.access_log_entry WHERE seq = NEW.seq AND hash = NEW.hash
    ) THEN
        RAISE EXCEPTION 'the access log head must name an entry that exists (entry %)', NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$
"""
_TRIGGERS = [
    "CREATE TRIGGER access_log_entry_append_only BEFORE UPDATE OR DELETE ON {schema}.access_log_entry "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.govcx_access_log_append_only()",
    "CREATE TRIGGER access_log_entry_no_truncate BEFORE TRUNCATE ON {schema}.access_log_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION {schema}.govcx_access_log_append_only()",
    "CREATE TRIGGER access_log_checkpoint_append_only BEFORE UPDATE OR DELETE ON {schema}.access_log_checkpoint "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.govcx_access_log_append_only()",
    "CREATE TRIGGER access_log_checkpoint_no_truncate BEFORE TRUNCATE ON {schema}.access_log_checkpoint "
    "FOR EACH STATEMENT EXECUTE FUNCTION {schema}.govcx_access_log_append_only()",
    "CREATE TRIGGER access_log_head_forward BEFORE UPDATE ON {schema}.access_log_head "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.govcx_access_log_head_forward()",
    "CREATE TRIGGER access_log_head_no_delete BEFORE DELETE ON {schema}.access_log_head "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.govcx_access_log_append_only()",
    "CREATE TRIGGER access_log_head_no_truncate BEFORE TRUNCATE ON {schema}.access_log_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION {schema}.govcx_access_log_append_only()",
]
# Whoever was granted more than reading and adding (a role other than the owner, or PUBLIC) loses it.
_REVOKE = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN
        SELECT DISTINCT c.relname, a.privilege_type,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee
        FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE c.oid IN ('{schema}.access_log_entry'::regclass, '{schema}.access_log_checkpoint'::regclass,
                        '{schema}.access_log_head'::regclass)
          AND a.grantee <> c.relowner
          AND (a.privilege_type IN ('DELETE', 'TRUNCATE')
               OR (a.privilege_type = 'UPDATE' AND c.relname <> 'access_log_head'))
    LOOP
        EXECUTE format('REVOKE %s ON {schema}.%I FROM %s', r.privilege_type, r.relname, r.grantee);
    END LOOP;
END
$$
"""


def _schema() -> str:
    name = op.get_bind().execute(text("SELECT current_schema()")).scalar_one()
    return '"' + name.replace('"', '""') + '"'


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    for statement in (_REFUSE, _HEAD, *_TRIGGERS, _REVOKE):
        op.execute(statement.replace("{schema}", schema))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    for table, trigger in [("access_log_entry", "access_log_entry_append_only"),
                           ("access_log_entry", "access_log_entry_no_truncate"),
                           ("access_log_checkpoint", "access_log_checkpoint_append_only"),
                           ("access_log_checkpoint", "access_log_checkpoint_no_truncate"),
                           ("access_log_head", "access_log_head_forward"),
                           ("access_log_head", "access_log_head_no_delete"),
                           ("access_log_head", "access_log_head_no_truncate")]:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {schema}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.govcx_access_log_head_forward()")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.govcx_access_log_append_only()")
