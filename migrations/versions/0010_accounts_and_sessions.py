"""accounts: integration accounts with API tokens, server-side sessions, sign-in throttling

`app_user.kind` tells staff (password, web and API) from integration accounts (API tokens
that may send some message names, nothing else). `api_token` keeps only a SHA-256 digest
of each token. `web_session` makes sign-out end a session on the server: the cookie carries
a random id whose row is deleted at sign-out. `sign_in_failure` holds the failed sign-ins of
the throttling window, per account and per client address.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 03:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

UTC_TIME = models.base.UtcDateTime(timezone=True)
JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False,
                                      server_default='staff'))

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('messages', JSON_LIST, nullable=False),
    sa.Column('created_at', UTC_TIME, nullable=False),
    sa.Column('last_used_at', UTC_TIME, nullable=True),
    sa.Column('revoked_at', UTC_TIME, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                            name=op.f('fk_api_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_token_prefix'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('web_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC_TIME, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                            name=op.f('fk_web_session_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_session_created_at'), ['created_at'],
                              unique=False)

    op.create_table('sign_in_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failed_at', UTC_TIME, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failure'))
    )
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failure_username_failed_at',
                              ['username', 'failed_at'], unique=False)
        batch_op.create_index('ix_sign_in_failure_address_failed_at',
                              ['address', 'failed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failure_failed_at'), ['failed_at'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('sign_in_failure')
    op.drop_table('web_session')
    op.drop_table('api_token')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('kind')
