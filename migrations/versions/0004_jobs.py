"""jobs: the job queue, worker heartbeats, cases.next_due_at, incident attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:20:00
"""
from alembic import op
import sqlalchemy as sa

from models.base import UtcDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('element_id', sa.String(length=200), nullable=True),
        sa.Column('due_at', UtcDateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('lease_owner', sa.String(length=200), nullable=True),
        sa.Column('lease_until', UtcDateTime(), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('updated_at', UtcDateTime(), nullable=False),
        sa.Column('finished_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_job_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    )
    op.create_index('ix_job_status_due_at', 'job', ['status', 'due_at'], unique=False)
    op.create_index(op.f('ix_job_case_id'), 'job', ['case_id'], unique=False)
    op.create_table(
        'worker_heartbeat',
        sa.Column('worker_id', sa.String(length=200), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', UtcDateTime(), nullable=False),
        sa.Column('last_heartbeat_at', UtcDateTime(), nullable=False),
        sa.Column('current_job_id', sa.Integer(), nullable=True),
        sa.Column('jobs_done', sa.Integer(), nullable=False),
        sa.Column('stopped_at', UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_heartbeat')),
    )
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('next_due_at', UtcDateTime(), nullable=True))
        batch.create_index(batch.f('ix_cases_next_due_at'), ['next_due_at'], unique=False)
    with op.batch_alter_table('incident') as batch:
        batch.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                   server_default='1'))
        batch.add_column(sa.Column('last_attempt_at', UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident') as batch:
        batch.drop_column('last_attempt_at')
        batch.drop_column('attempts')
    with op.batch_alter_table('cases') as batch:
        batch.drop_index(batch.f('ix_cases_next_due_at'))
        batch.drop_column('next_due_at')
    op.drop_table('worker_heartbeat')
    op.drop_index(op.f('ix_job_case_id'), table_name='job')
    op.drop_index('ix_job_status_due_at', table_name='job')
    op.drop_table('job')
