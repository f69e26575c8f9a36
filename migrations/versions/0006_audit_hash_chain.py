"""audit hash chain: every audit event carries its hash and its predecessor's; cases keep the head

Existing events are hashed case by case in sequence order, a batch of cases at a time (so a
large history never has to fit in memory), with the same recipe the application uses
(services.audit_chain); then the columns become NOT NULL. A case without events keeps the
genesis hash. On PostgreSQL a trigger refuses UPDATE and DELETE on audit_event (TRUNCATE,
which the test fixtures use, stays possible).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

from models.base import JsonDocument, UtcDateTime
from services.audit_chain import GENESIS, event_hash, format_at

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CASES_PER_BATCH = 200

_events = sa.table(
    'audit_event', sa.column('id', sa.Integer()), sa.column('case_id', sa.Integer()),
    sa.column('seq', sa.Integer()), sa.column('at', UtcDateTime()),
    sa.column('actor', sa.String()), sa.column('kind', sa.String()),
    sa.column('element_id', sa.String()), sa.column('payload', JsonDocument),
    sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()))
_cases = sa.table('cases', sa.column('id', sa.Integer()), sa.column('head_hash', sa.String()))

REFUSE_CHANGES = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit history is append-only: % of an audit_event row is refused', TG_OP
        USING HINT = 'Audit events are never changed or removed; '
                     'insurflow audit verify checks the history.';
END;
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    # NOT NULL with a default is added in place on SQLite (no copy of the cases table, which
    # other tables reference); the default is right for a case that has no events yet.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head_hash', sa.String(length=64), nullable=False,
                                      server_default=GENESIS))
    _backfill(op.get_bind())
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE_CHANGES)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_event_append_only ON audit_event')
        op.execute('DROP FUNCTION audit_event_append_only()')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
    op.drop_column('cases', 'head_hash')  # in place: SQLite 3.35+ drops columns itself


def _backfill(bind: sa.Connection) -> None:
    after = 0
    while True:
        case_ids = list(bind.execute(
            sa.select(_cases.c.id).where(_cases.c.id > after).order_by(_cases.c.id)
            .limit(CASES_PER_BATCH)).scalars())
        if not case_ids:
            return
        _hash_cases(bind, case_ids)
        after = case_ids[-1]


def _hash_cases(bind: sa.Connection, case_ids: list[int]) -> None:
    rows = bind.execute(sa.select(_events).where(_events.c.case_id.in_(case_ids))
                        .order_by(_events.c.case_id, _events.c.seq))
    links: list[dict[str, Any]] = []
    heads: dict[int, str] = {}
    for row in rows:
        prev_hash = heads.get(row.case_id, GENESIS)
        digest = event_hash(case_id=row.case_id, seq=row.seq, at=format_at(row.at),
                            actor=row.actor, kind=row.kind, element_id=row.element_id,
                            payload=row.payload, prev_hash=prev_hash)
        heads[row.case_id] = digest
        links.append({'event_id': row.id, 'link': prev_hash, 'digest': digest})
    if not links:
        return
    bind.execute(sa.update(_events).where(_events.c.id == sa.bindparam('event_id'))
                 .values(prev_hash=sa.bindparam('link'), hash=sa.bindparam('digest')), links)
    bind.execute(sa.update(_cases).where(_cases.c.id == sa.bindparam('case_id'))
                 .values(head_hash=sa.bindparam('head')),
                 [{'case_id': case_id, 'head': head} for case_id, head in heads.items()])
