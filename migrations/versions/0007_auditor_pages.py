"""auditor pages: the access log, and indexes for the auditors' case search

`audit_access` records every view of an auditor page (who, when, which page, which case,
which filters). The case search filters cases by creation date (newest first), business
key prefix and customer name substring (a pg_trgm GIN index on PostgreSQL; pg_trgm was
created by 0003), and by actor (every case someone appears in, from `audit_event`).

Plain CREATE INDEX statements (no batch mode), so no table is rebuilt on SQLite.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 18:03:39.011628
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_access',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('page', sa.String(length=40), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('query', sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_audit_access_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_access')),
    )
    op.create_index(op.f('ix_audit_access_at'), 'audit_access', ['at'], unique=False)
    op.create_index(op.f('ix_audit_access_case_id'), 'audit_access', ['case_id'], unique=False)
    op.create_index(op.f('ix_audit_access_username'), 'audit_access', ['username'],
                    unique=False)
    op.create_index('ix_audit_event_actor_case', 'audit_event', ['actor', 'case_id'],
                    unique=False)
    op.create_index(op.f('ix_cases_created_at'), 'cases', ['created_at'], unique=False)
    op.create_index('ix_cases_search', 'cases', ['business_key', 'customer_name'],
                    unique=False, postgresql_using='gin',
                    postgresql_ops={'business_key': 'gin_trgm_ops',
                                    'customer_name': 'gin_trgm_ops'})


def downgrade() -> None:
    op.drop_index('ix_cases_search', table_name='cases')
    op.drop_index(op.f('ix_cases_created_at'), table_name='cases')
    op.drop_index('ix_audit_event_actor_case', table_name='audit_event')
    op.drop_index(op.f('ix_audit_access_username'), table_name='audit_access')
    op.drop_index(op.f('ix_audit_access_case_id'), table_name='audit_access')
    op.drop_index(op.f('ix_audit_access_at'), table_name='audit_access')
    op.drop_table('audit_access')
