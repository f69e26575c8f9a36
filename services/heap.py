"""A long-running process's startup heap, kept out of the garbage collector's way.

Python's cyclic collector walks every container object it tracks on each full collection.
What a process builds at start (modules, SQLAlchemy's metadata and compiled statements,
parsed process definitions) lives as long as the process, so walking it again and again only
costs time: each step of a case allocates enough to set off collections. Freezing it
(`gc.freeze`, as pre-fork servers do after loading the application) moves it to a permanent
generation the collector skips; objects made later are collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect what start-up left behind, then freeze the rest (call once it is built)."""
    gc.collect()
    gc.freeze()
