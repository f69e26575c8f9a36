"""case_start_key: idempotency keys of case starts, unique per user

A client that retries a start after a dropped connection sends the same key and gets the
first case back instead of a second application. The primary key (username, key) is the
unique constraint that decides between two retries arriving at once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 03:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

import models.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_start_key',
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('created_at', models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_start_key_case_id_cases')),
        sa.PrimaryKeyConstraint('username', 'key', name=op.f('pk_case_start_key')),
    )


def downgrade() -> None:
    op.drop_table('case_start_key')
