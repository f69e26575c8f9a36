"""`insurflow audit`: what auditors run.

A stand-in group for the replay branch; the hash-chain branch brings the full cli/audit.py
(verify, export). Merging keeps theirs plus the one line that attaches `replay`.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .audit_replay import replay


@click.group("audit", cls=AppGroup, help="Audit cases: replay them from their history.")
def audit_group() -> None:
    pass


audit_group.add_command(replay)
