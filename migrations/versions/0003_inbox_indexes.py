"""inbox indexes: partial indexes over open tasks in each tab's order; trigram search

The inbox reads open tasks only, but human_task keeps every completed task too. Partial
indexes (WHERE status = 'open') stay the size of the open work, give each tab its rows in
the default order (due date with no-due last, created, id) so the first page is read
straight off the index, and count a tab from the index alone. On PostgreSQL the search
(business key prefix or customer name substring) uses a pg_trgm GIN index; SQLite gets a
plain index on the same columns and scans, as before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
UNCLAIMED = "status = 'open' AND assignee IS NULL"


def _partial(where: str) -> dict:
    return {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # Trusted since PostgreSQL 13: the database owner may create it. Debian ships it in
        # postgresql-contrib (part of the server package).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.drop_index('ix_human_task_open_role', table_name='human_task')
    op.drop_index('ix_human_task_open_assignee', table_name='human_task')
    op.drop_index('ix_human_task_business_key', table_name='human_task')
    op.drop_index('ix_human_task_customer_search', table_name='human_task')
    op.create_index('ix_human_task_unclaimed', 'human_task',
                    ['role', 'due_at', 'created_at', 'id', 'process_id', 'element_id'],
                    unique=False, **_partial(UNCLAIMED))
    op.create_index('ix_human_task_open_assignee', 'human_task',
                    ['assignee', 'due_at', 'created_at', 'id'], unique=False, **_partial(OPEN))
    op.create_index('ix_human_task_open_due', 'human_task',
                    ['due_at', 'created_at', 'id'], unique=False, **_partial(OPEN))
    op.create_index('ix_human_task_open_search', 'human_task',
                    ['business_key', 'customer_search'], unique=False,
                    postgresql_using='gin',
                    postgresql_ops={'business_key': 'gin_trgm_ops',
                                    'customer_search': 'gin_trgm_ops'},
                    **_partial(OPEN))


def downgrade() -> None:
    op.drop_index('ix_human_task_open_search', table_name='human_task')
    op.drop_index('ix_human_task_open_due', table_name='human_task')
    op.drop_index('ix_human_task_open_assignee', table_name='human_task')
    op.drop_index('ix_human_task_unclaimed', table_name='human_task')
    op.create_index('ix_human_task_customer_search', 'human_task', ['customer_search'],
                    unique=False)
    op.create_index('ix_human_task_business_key', 'human_task', ['business_key'], unique=False)
    op.create_index('ix_human_task_open_assignee', 'human_task',
                    ['status', 'assignee', 'due_at'], unique=False)
    op.create_index('ix_human_task_open_role', 'human_task', ['status', 'role', 'due_at'],
                    unique=False)
    # pg_trgm stays: other objects may use it, and dropping an extension is the DBA's call.
