"""task rows without a position: a restore orders them by the task tree's own links

`case_task_state.position` was each row's place in a walk of the task tree. Pruning or a new
task shifted the places of rows that had not changed, and each such row was rewritten for
its new number alone. The engine now rebuilds the order from the rows' parent and children
links, so the column is dropped (in place: SQLite 3.35+ drops columns itself).

Downgrade puts the column back and numbers every case's rows in that same walk.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 03:50:00.000000
"""
import json
from typing import Any

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column('case_task_state', 'position')


def downgrade() -> None:
    op.add_column('case_task_state', sa.Column('position', sa.Integer(), nullable=False,
                                               server_default='0'))
    bind = op.get_bind()
    rows = sa.table('case_task_state', sa.column('case_id', sa.Integer),
                    sa.column('task_id', sa.String), sa.column('workflow_key', sa.String),
                    sa.column('content', sa.JSON), sa.column('position', sa.Integer))
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('workflow_state', sa.JSON))
    for case_id, state in bind.execute(sa.select(cases.c.id, cases.c.workflow_state)):
        state = _decoded(state)
        roots = {'': state['root']} | {key: sub['root'] for key, sub
                                       in state.get('subprocesses', {}).items()}
        contents: dict[str, dict[str, Any]] = {}
        for task_id, content in bind.execute(sa.select(rows.c.task_id, rows.c.content)
                                             .where(rows.c.case_id == case_id)):
            contents[task_id] = _decoded(content)
        for root in roots.values():
            stack, position = [root], 0
            while stack:
                task_id = stack.pop()
                if task_id not in contents:
                    continue
                bind.execute(sa.update(rows).where(rows.c.case_id == case_id,
                                                   rows.c.task_id == task_id)
                             .values(position=position))
                position += 1
                stack.extend(reversed(contents[task_id]['children']))


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
