"""drop three indexes no query uses: human_task status and assignee, audit_event case_id

Every query of human tasks by status or assignee asks for open tasks, which the partial
indexes of 0003 serve; a case's history is read through the (case_id, seq) unique index.
The three full indexes were only written: each step of a case rewrote their pages (about
13 of the 140 pages an accept-path case writes on SQLite).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 04:10:00.000000
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_human_task_status', table_name='human_task')
    op.drop_index('ix_human_task_assignee', table_name='human_task')
    op.drop_index('ix_audit_event_case_id', table_name='audit_event')


def downgrade() -> None:
    op.create_index('ix_audit_event_case_id', 'audit_event', ['case_id'], unique=False)
    op.create_index('ix_human_task_assignee', 'human_task', ['assignee'], unique=False)
    op.create_index('ix_human_task_status', 'human_task', ['status'], unique=False)
