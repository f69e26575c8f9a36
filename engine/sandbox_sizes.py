"""Size estimates and the methods that are charged to the memory budget before they run.

A single C call (`'a'.center(10**10)`, `list(big)`, `sep.join(...)`) never passes through a
loop guard, so each one that can build a large result checks its size first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from .sandbox_limits import WORD, bytes_left, charge, note_store, tick

CHUNK = 4096
STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha",
    "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower",
    "lstrip", "removeprefix", "removesuffix", "rfind", "rindex", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "title", "upper",
    "center", "ljust", "rjust", "zfill", "replace", "join", "expandtabs",
})


_SEQUENCES = frozenset({list, tuple, set})


def size_of(value: Any) -> int:
    """Bytes a value holds, counting every level: a list holding the same big list a
    thousand times counts it a thousand times, as repr(), == or sorting would walk it.
    The walk stops once it passes what the budget has left."""
    cls = type(value)
    if cls is str:
        return len(value)
    if cls is int:
        return value.bit_length() // 8
    if cls not in _SEQUENCES and cls is not dict:
        return 0
    cap, total, pending, walked = bytes_left(), 0, [value], 0
    while pending and total <= cap:
        item = pending.pop()
        walked += 1
        if not walked % CHUNK:
            tick()  # a walk over millions of shared parts must not outlast the deadline
        kind = type(item)
        if kind is str:
            total += len(item)
        elif kind in _SEQUENCES:
            total += len(item) * WORD
            pending.extend(item)
        elif kind is dict:
            total += len(item) * 4 * WORD
            pending.extend(item.values())
    return total


def charge_value(value: Any) -> Any:
    """Charge a value about to be stored in a container (or shown as text); returns it."""
    charge(WORD + size_of(value))
    return value


def store_value(value: Any) -> Any:
    """charge_value for a value going into a container that may be part of the case data."""
    note_store()
    charge(WORD + size_of(value))
    return value


def materialise(iterable: Any) -> Any:
    """The iterable, or a list of its items: an unsized one is drawn in charged chunks."""
    try:
        count = len(iterable)
    except TypeError:
        items: list[Any] = []
        iterator = iter(iterable)
        while chunk := list(islice(iterator, CHUNK)):
            charge(len(chunk) * WORD + sum(map(size_of, chunk)))
            items.extend(chunk)
        return items
    charge(count * WORD)
    return iterable


def _padded(method: Callable[..., str]) -> Callable[..., str]:
    def padded(text: str, width: int, *args: Any) -> str:
        charge(max(width, 0))
        return method(text, width, *args)
    return padded


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    charge(len(text) + hits * max(len(new) - len(old), 0))
    return text.replace(old, new, count)


def _join(separator: str, parts: Iterable[Any]) -> str:
    items = materialise(parts)
    charge(sum(len(p) for p in items if type(p) is str) + len(separator) * len(items))
    return separator.join(items)


def _expandtabs(text: str, tabsize: int = 8) -> str:
    charge(len(text) + text.count("\t") * max(tabsize, 0))
    return text.expandtabs(tabsize)


def _split(method: Callable[..., list[str]]) -> Callable[..., list[str]]:
    def split(text: str, *args: Any, **kwargs: Any) -> list[str]:
        charge(len(text) * WORD)
        return method(text, *args, **kwargs)
    return split


def _append(items: list[Any], value: Any) -> None:
    items.append(store_value(value))


def _insert(items: list[Any], index: int, value: Any) -> None:
    items.insert(index, store_value(value))


def _extend(items: list[Any], more: Iterable[Any]) -> None:
    more = materialise(more)
    store_value(list(more))
    items.extend(more)


def _copy(container: Any) -> Any:
    charge(size_of(container))
    return container.copy()


def _setdefault(mapping: dict[Any, Any], key: Any, default: Any = None) -> Any:
    store_value(default)
    return mapping.setdefault(key, default)


def _update(mapping: dict[Any, Any], *args: Any, **kwargs: Any) -> None:
    note_store()
    parts = [materialise(a) for a in args]
    charge(sum(size_of(p) for p in parts) + len(kwargs) * 4 * WORD + size_of(kwargs))
    mapping.update(*parts, **kwargs)


def _add(items: set[Any], value: Any) -> None:
    items.add(store_value(value))


def _union(items: set[Any], *others: Any) -> set[Any]:
    parts = [materialise(other) for other in others]
    charge(size_of(items) + sum(size_of(part) for part in parts))
    return items.union(*parts)


GROWING_METHODS: dict[tuple[type, str], Callable[..., Any]] = {
    (str, "center"): _padded(str.center), (str, "ljust"): _padded(str.ljust),
    (str, "rjust"): _padded(str.rjust), (str, "zfill"): _padded(str.zfill),
    (str, "replace"): _replace, (str, "join"): _join, (str, "expandtabs"): _expandtabs,
    (str, "split"): _split(str.split), (str, "rsplit"): _split(str.rsplit),
    (str, "splitlines"): _split(str.splitlines),
    (list, "append"): _append, (list, "insert"): _insert, (list, "extend"): _extend,
    (list, "copy"): _copy, (dict, "copy"): _copy, (set, "copy"): _copy,
    (dict, "setdefault"): _setdefault, (dict, "update"): _update,
    (set, "add"): _add, (set, "union"): _union,
}
